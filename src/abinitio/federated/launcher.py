"""Flower's deployment engine on one machine: a SuperLink and N SuperNodes started as
subprocesses bound to 127.0.0.1 on free ports, the app run through them with ``flwr run``,
and every process (with the SuperExec and ClientApp processes they spawn) stopped at the
end, on error and on Ctrl-C.

Every process of the federation, and everything they spawn (Flower's SuperExec starts its
own session, and its ServerApp and ClientApp processes outlive it), inherits one
environment variable that names this federation alone: ``FLWR_HOME``, a fresh folder in
the work directory. Shutting down sends SIGTERM to every live process whose environment
holds it, waits, then SIGKILL to what is left; so nothing survives, whatever its parent or
session. (``FLWR_HOME`` there also means nothing is read from or written to ``~/.flwr``;
the SuperLink connection in it names the loopback address only.) SIGTERM to the launching
process stops the federation as Ctrl-C does.

The many-machine recipe runs the same three commands by hand (see the article
docs/articles/learning/federated_learning.py and the README), with TLS certificates instead
of ``--insecure``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["FLOWER_ENVIRONMENT", "LoopbackFederation", "free_port", "write_app"]

LOOPBACK = "127.0.0.1"
# no telemetry, no update check; SuperExec looks for work every 0.25 s instead of 1 s
FLOWER_ENVIRONMENT = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
                      "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.25"}  # fmt: skip


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_app(directory: str, serverapp: str, clientapp: str, config: dict,
              name: str = "abinitio-federated") -> str:  # fmt: skip
    """A Flower App directory: a ``pyproject.toml`` naming the two components (any
    importable ``module:attribute``) and the run config; returns the directory."""
    os.makedirs(directory, exist_ok=True)
    lines = ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"',
             "", "[project]", f'name = "{name}"', 'version = "1.0.0"', "dependencies = []", "",
             "[tool.flwr.app]", 'publisher = "abinitio"', "",
             "[tool.flwr.app.components]", f'serverapp = "{serverapp}"',
             f'clientapp = "{clientapp}"', "", "[tool.flwr.app.config]"]  # fmt: skip
    lines += [f"{key} = {_toml_value(value)}" for key, value in config.items()]
    Path(directory, "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return directory


def _executable(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


class LoopbackFederation:
    """A SuperLink and ``len(node_configs)`` SuperNodes on 127.0.0.1, as a context manager.

    Args:
        node_configs: one dict per SuperNode, its ``--node-config`` (``partition-id``, ...).
        workdir: where the Flower home, the app and the logs go.
        log: where progress lines go (``print``); None for silence.
        prompt_polling: run each SuperNode through :mod:`abinitio.federated._supernode`,
            Flower's own entry point with its fixed 3 s idle sleep replaced by polls
            backing off from 0.02 s to 1 s and shorter object-pull retries (on one machine
            those waits, not the work, would set a round's length); False runs the stock
            ``flower-supernode``.
        fork_clientapps: run each SuperNode with ``--isolation process`` beside a SuperExec
            of :mod:`abinitio.federated._superexec`, which forks every ClientApp process
            from a parent that has imported Flower (and ``preload``) once, instead of
            starting ``flwr-clientapp`` afresh per message; False keeps Flower's default
            (``--isolation subprocess``).
        preload: modules that SuperExec imports before forking (the ClientApp's module).

    Example (not run here: it starts processes)::

        with LoopbackFederation([{"partition-id": i, "num-partitions": 2} for i in range(2)],
                                "work/") as federation:
            federation.run(app_dir)

    See the article docs/articles/learning/federated_learning.py.
    """

    def __init__(self, node_configs: list[dict], workdir: str, log=print,
                 prompt_polling: bool = True, fork_clientapps: bool = True,
                 preload: tuple[str, ...] = ()) -> None:  # fmt: skip
        if not node_configs:
            raise ValueError("LoopbackFederation needs at least one SuperNode")
        self.node_configs, self.workdir, self._log = list(node_configs), workdir, log
        self.prompt_polling = prompt_polling
        self.fork_clientapps, self.preload = fork_clientapps, tuple(preload)
        self.processes: list[subprocess.Popen] = []
        self.groups: list[int] = []  # every process group ever started (for checks)
        self.home = None
        self._previous_sigterm = None
        self.port = None
        self.env = None

    def log(self, text: str) -> None:
        if self._log is not None:
            self._log(text)

    # ---- start and stop -----------------------------------------------------------------
    def __enter__(self) -> LoopbackFederation:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen:
        log_file = open(os.path.join(self.workdir, log_name), "wb")  # noqa: SIM115
        try:
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=self.env,
                                       start_new_session=True)  # fmt: skip
        finally:
            log_file.close()
        self.processes.append(process)
        self.groups.append(process.pid)  # start_new_session: the group id is the pid
        return process

    def start(self) -> None:
        os.makedirs(self.workdir, exist_ok=True)
        # a fresh folder per federation: its path, in every process's environment, is the
        # mark by which stop() finds them all
        home = tempfile.mkdtemp(prefix="flwr-home-", dir=os.path.abspath(self.workdir))
        self.home = home
        # Flower's processes start others by name (flower-superexec, flwr-serverapp): the
        # folder of this interpreter's scripts goes first on PATH, so that a venv's
        # `abinitio` finds them without the venv being activated
        scripts = os.path.dirname(os.path.abspath(sys.executable))
        path = os.pathsep.join([scripts, os.environ.get("PATH", "")])
        # Flower's settings, except a poll interval the caller's environment sets itself
        own = {k: v for k, v in FLOWER_ENVIRONMENT.items()
               if not (k == "FLWR_SUPEREXEC_TASK_POLL_INTERVAL" and k in os.environ)}  # fmt: skip
        self.env = {**os.environ, **own, "FLWR_HOME": home, "PATH": path}
        self._previous_sigterm = _raise_on_sigterm()
        self.port = free_port()
        Path(home, "config.toml").write_text(
            '[superlink]\ndefault = "loopback"\n\n[superlink.loopback]\n'
            f'address = "{LOOPBACK}:{self.port}"\ninsecure = true\n', "utf-8"
        )  # fmt: skip
        self._spawn([_executable("flower-superlink"), "--insecure", "--host", LOOPBACK,
                     "--port", str(self.port), "--disable-runtime-dependency-installation"],
                    "superlink.log")  # fmt: skip
        self._wait_listening(self.port, "the SuperLink")
        for i, node_config in enumerate(self.node_configs):
            pairs = " ".join(f"{k}={_toml_value(v)}" for k, v in node_config.items())
            supernode = ([sys.executable, "-m", "abinitio.federated._supernode"]
                         if self.prompt_polling else [_executable("flower-supernode")])  # fmt: skip
            runtime_port = free_port()
            isolation = ["--isolation", "process"] if self.fork_clientapps else []
            self._spawn([*supernode, "--insecure", "--superlink",
                         f"{LOOPBACK}:{self.port}", "--host", LOOPBACK, "--port",
                         str(runtime_port), *isolation, "--node-config", pairs],
                        f"supernode-{i}.log")  # fmt: skip
            if self.fork_clientapps:
                preload = [arg for module in self.preload for arg in ("--preload", module)]
                self._spawn([sys.executable, "-m", "abinitio.federated._superexec", *preload,
                             "--insecure", "--runtime-api-address",
                             f"{LOOPBACK}:{runtime_port}"], f"superexec-{i}.log")  # fmt: skip
        self.log(f"SuperLink on {LOOPBACK}:{self.port}, {len(self.node_configs)} SuperNodes")

    def _wait_listening(self, port: int, what: str, seconds: float = 60.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{what} exited with code {process.returncode} before listening; see "
                        f"the logs in {self.workdir}"
                    )
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                if probe.connect_ex((LOOPBACK, port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not listen on {LOOPBACK}:{port} within {seconds:.0f} s")

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to every process of the federation (found by its ``FLWR_HOME``), then
        SIGKILL to what is left after ``grace`` seconds."""
        for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            members = self.pids()
            for pid in members:
                _signal(pid, signum)
            end = time.monotonic() + wait
            for process in self.processes:
                try:
                    process.wait(max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            while self.pids() and time.monotonic() < end:
                time.sleep(0.1)
        self.processes = []
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def pids(self) -> list[int]:
        """Every live process of this federation: those started here and all they spawned,
        wherever they were re-parented (Linux: read from /proc). Empty after ``stop``."""
        if self.home is None:
            return []
        return processes_with_environment("FLWR_HOME", self.home)

    # ---- run an app ---------------------------------------------------------------------
    def run(self, app_dir: str, timeout: float | None = None) -> int:
        """``flwr run APP_DIR --stream`` against this SuperLink; its output goes to
        ``flwr-run.log`` in the work directory (and the lines of the ServerApp's own log
        to ``log``). Returns flwr's exit code."""
        path = os.path.join(self.workdir, "flwr-run.log")
        with open(path, "wb") as output:
            process = subprocess.Popen([_executable("flwr"), "run", os.path.abspath(app_dir),
                                        "loopback", "--stream"], stdout=output,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=self.env, start_new_session=True)  # fmt: skip
            self.processes.append(process)
            self.groups.append(process.pid)
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                raise RuntimeError(
                    f"flwr run did not finish within {timeout} s; see {path}"
                ) from None


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _raise_on_sigterm():
    """SIGTERM raises KeyboardInterrupt in the main thread, so that the ``with`` block
    unwinds and stops the federation; returns the previous handler (None off the main
    thread, where handlers cannot be set)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def processes_with_environment(name: str, value: str) -> list[int]:
    """The pids of live (not zombie) processes, other than this one, whose environment
    holds ``name=value`` (Linux: read from /proc)."""
    needle = f"{name}={value}".encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if needle not in Path("/proc", entry, "environ").read_bytes() + b"\0":
                continue
            state = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry))
    return found


def live_members(groups) -> list[int]:
    """The pids of live (not zombie) processes in the process groups ``groups`` (Linux:
    read from /proc)."""
    groups = set(groups)
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp in groups and state != "Z":
            members.append(int(entry))
    return members
