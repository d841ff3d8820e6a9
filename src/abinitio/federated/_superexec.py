"""``flower-superexec`` that forks each ClientApp process from a warm parent, for the
loopback launcher.

Flower's SuperExec starts a fresh ``flwr-clientapp`` process for every message it is
given: Python, then Flower and the app imported again (about 1 CPU-second each time, ten
times a round for ten clients). This runs Flower's own ``flower-superexec`` entry point
unchanged except for how a ClientApp task is started: the process imports Flower and the
modules named by ``--preload`` once, and for each task forks a child that runs Flower's own
``run_clientapp`` (the function ``flwr-clientapp`` runs) with the task's token, then exits.
Each message still gets its own process (a client that hangs or crashes takes only its
child with it), but the child starts with everything already imported; its app module is
found in ``sys.modules`` by Flower's loader. Other task types, and non-Linux systems, keep
Flower's ``subprocess`` launch.

Used with ``flower-supernode --isolation process`` (the SuperNode then starts no SuperExec
of its own); the many-machine recipe uses the stock commands.

    python -m abinitio.federated._superexec --preload abinitio.cli.federated_app \\
        --insecure --runtime-api-address 127.0.0.1:PORT
"""

import importlib
import os
import signal
import sys

from flwr.supercore.cli.flower_superexec import flower_superexec
from flwr.supercore.constant import TaskType
from flwr.supercore.exit import exit_handler
from flwr.supercore.superexec.executor import factory
from flwr.supercore.superexec.executor.subprocess_executor import SubprocessExecutor
from flwr.supercore.superexec.executor.types import LaunchResult
from flwr.supercore.tls import validate_and_resolve_root_certificates
from flwr.supernode.runtime.run_clientapp import run_clientapp


class ForkingExecutor(SubprocessExecutor):
    """Flower's subprocess executor, but ClientApp tasks run in a forked child."""

    def launch(self, spec) -> LaunchResult:
        if spec.task_type != TaskType.CLIENT_APP or not hasattr(os, "fork"):
            return super().launch(spec)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_task_and_exit(spec)
        return LaunchResult.accepted()

    def reconcile(self) -> None:
        """Reap the children that have finished (no zombies pile up)."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return


def _run_task_and_exit(spec) -> None:
    """In the forked child: Flower's ``run_clientapp`` for this task, then ``_exit``."""
    code = 1
    try:
        # the parent's exit handlers close the parent's connections: not the child's job
        exit_handler.registered_exit_handlers.clear()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        certificates = validate_and_resolve_root_certificates(
            spec.root_certificates_path, spec.insecure
        )
        run_clientapp(runtime_api_address=spec.runtime_api_address, token=spec.token,
                      insecure=spec.insecure, certificates=certificates,
                      parent_pid=spec.parent_pid,
                      runtime_dependency_install=spec.runtime_dependency_install)  # fmt: skip
        code = 0
    except SystemExit as stop:  # flwr_exit ends every task this way
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001  anything else: report it, exit non-zero
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list[str]) -> None:
    preload = []
    while "--preload" in argv:
        at = argv.index("--preload")
        preload.append(argv[at + 1])
        del argv[at : at + 2]
    for module in preload:
        importlib.import_module(module)
    from abinitio.federated._waits import shorten_pull_backoff

    shorten_pull_backoff()  # inherited by every forked ClientApp (it pulls its message)
    factory.SubprocessExecutor = ForkingExecutor
    sys.argv = ["flower-superexec", *argv]
    flower_superexec()


if __name__ == "__main__":  # only here: importing this module (pytest does) patches nothing
    main(sys.argv[1:])
