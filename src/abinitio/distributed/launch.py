"""Start ``N`` ranks on this machine, talking over loopback only.

``python -m abinitio.distributed.launch -n 2 abinitio train --distributed ...`` is
``mpiexec -n 2 ...`` with two choices made for one machine:

* the launcher is MPICH's ``mpiexec.gforker`` where it exists: it forks the ranks and
  talks to them through pipes, where the default launcher (Hydra, for many machines)
  listens on every network interface;
* the environment keeps MPI's own traffic on the loopback interface (libfabric's TCP
  provider on ``lo``; ranks on one machine use shared memory anyway).

Each rank also gets the variables ``torchrun`` sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``), so PyTorch programs that read them run unchanged.

On many machines call ``mpiexec`` yourself, with a host file (see the README).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

LOOPBACK_ENVIRONMENT = {
    "MPIR_CVAR_CH4_NETMOD": "ofi",  # MPICH: libfabric, not UCX (which listens everywhere)
    "FI_PROVIDER": "tcp",
    "FI_TCP_IFACE": "lo",
    "UCX_NET_DEVICES": "lo",
}


# Each rank first runs this, then becomes the command: it sets the variables torchrun sets
# (RANK, WORLD_SIZE, LOCAL_RANK), which PyTorch programs read, from MPICH's or Open MPI's.
RANK_ENVIRONMENT = """
import os, sys
e = os.environ
rank = e.get("PMI_RANK") or e.get("OMPI_COMM_WORLD_RANK") or "0"
size = e.get("PMI_SIZE") or e.get("OMPI_COMM_WORLD_SIZE") or "1"
for name, value in (("RANK", rank), ("WORLD_SIZE", size), ("LOCAL_RANK", rank),
                    ("LOCAL_WORLD_SIZE", size), ("MASTER_ADDR", "127.0.0.1")):
    e.setdefault(name, value)
os.execvp(sys.argv[1], sys.argv[1:])
"""


def find_mpiexec() -> str:
    """The launcher beside this Python (the ``mpich`` wheel puts it there), else on PATH."""
    here = os.path.dirname(sys.executable)
    for name in ("mpiexec.gforker", "mpiexec"):
        for candidate in (os.path.join(here, name), shutil.which(name)):
            if candidate and os.access(candidate, os.X_OK):
                return candidate
    raise FileNotFoundError(
        "no mpiexec found: install the 'distributed' extra (pip install "
        "'abinitio[distributed]' brings MPICH and its mpiexec)"
    )


def command(n: int, argv: list) -> list:
    """The ``mpiexec`` command line that starts ``argv`` as ``n`` ranks."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"launch: the number of ranks must be a positive int, got {n!r}")
    if not argv:
        raise ValueError("launch: give the command each rank runs")
    return [find_mpiexec(), "-n", str(n), sys.executable, "-c", RANK_ENVIRONMENT, *argv]


def environment(base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with MPI kept on loopback."""
    return {**(os.environ if base is None else base), **LOOPBACK_ENVIRONMENT}


def run(n: int, argv: list, timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``n`` ranks on this machine and wait (``subprocess.run``'s options)."""
    env = environment(kwargs.pop("env", None))
    return subprocess.run(command(n, argv), env=env, timeout=timeout, **kwargs)


def main(args: list | None = None) -> int:
    args = list(sys.argv[1:] if args is None else args)
    if len(args) < 3 or args[0] != "-n" or not args[1].isdigit():
        sys.stderr.write("usage: python -m abinitio.distributed.launch -n N COMMAND [ARGS...]\n")
        return 2
    return run(int(args[1]), args[2:]).returncode


if __name__ == "__main__":
    sys.exit(main())
