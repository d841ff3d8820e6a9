"""``torch.backends.mkldnn``: not used by abinitio (NumPy's BLAS does the work)."""

enabled = False


def is_available() -> bool:
    return False
