"""``python -m abinitio.torch SCRIPT.py [args]``: run a PyTorch program on abinitio."""

import sys

from abinitio.torch import run


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m abinitio.torch SCRIPT.py [args]\n\n"
              "Runs SCRIPT.py with `import torch` (and torchvision) resolving to abinitio.")
        return 0 if argv else 2
    run(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
