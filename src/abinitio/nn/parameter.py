"""``Parameter``: a tensor that a :class:`~abinitio.nn.Module` learns.

Assigning a Parameter to a module attribute (``self.weight = Parameter(...)``) registers
it, so ``module.parameters()`` finds it and an optimiser can update it.
"""

from __future__ import annotations

from abinitio.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` by default, registered by modules.

    Example:
        >>> import abinitio as ab
        >>> w = ab.nn.Parameter(ab.zeros(2, 3))
        >>> w.requires_grad, w.shape
        (True, (2, 3))

    See the article docs/articles/neurons/neuron.py.
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        if isinstance(data, Tensor):  # keep its dtype and share its memory, as PyTorch does
            super().__init__(data.array, dtype=data.dtype)
        else:
            super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
