"""The ``abinitio`` command (also ``python -m abinitio``).

``abinitio demo`` (the default) trains a two-layer network on two moons with the bare
engine and prints the loss falling; see :mod:`abinitio.demo`.
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="abinitio", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="train a 2-layer network on two moons")
    demo.add_argument("--steps", type=int, default=1500)
    demo.add_argument("--seed", type=int, default=0)
    commands.add_parser("info", help="versions of abinitio and NumPy")
    args = parser.parse_args(argv)
    if args.command == "info":
        import numpy

        import abinitio

        print(f"abinitio {abinitio.__version__}, NumPy {numpy.__version__}")
        return 0
    from abinitio.demo import train_two_moons

    steps = getattr(args, "steps", 1500)
    seed = getattr(args, "seed", 0)
    train_two_moons(steps=steps, seed=seed, print_every=max(steps // 10, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
