"""abinitio's SuperExec forks each ClientApp task from the warm parent: the child runs
Flower's ``run_clientapp`` with the task's token and exits with its code; the parent reaps
it (no zombie is left); task types other than ClientApp keep Flower's subprocess launch."""

import os
import time

from helpers import require

require("flwr")
from flwr.supercore.constant import TaskType  # noqa: E402
from flwr.supercore.superexec.executor.types import ExecutionSpec  # noqa: E402

from abinitio.federated import _superexec  # noqa: E402


def _spec(task_type, token="t0k3n"):
    return ExecutionSpec(task_type=task_type, runtime_api_address="127.0.0.1:1", token=token,
                         insecure=True, root_certificates_path=None,
                         runtime_dependency_install=False, parent_pid=None,
                         suppress_output=True, task_id=7)  # fmt: skip


def _zombies_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] == "Z":
            found.append(int(entry))
    return found


def test_a_clientapp_task_runs_in_a_forked_child_that_is_reaped(tmp_path, monkeypatch):
    marker = tmp_path / "ran"

    def fake_run_clientapp(runtime_api_address, token, **kwargs):
        marker.write_text(f"{os.getpid()} {token} {runtime_api_address}")
        raise SystemExit(0)  # as flwr_exit ends a task

    monkeypatch.setattr(_superexec, "run_clientapp", fake_run_clientapp)
    executor = _superexec.ForkingExecutor()
    result = executor.launch(_spec(TaskType.CLIENT_APP))
    assert result.status == "accepted"
    end = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < end:
        time.sleep(0.05)
    child, token, address = marker.read_text().split()
    assert int(child) != os.getpid() and token == "t0k3n" and address == "127.0.0.1:1"
    while time.monotonic() < end and os.path.exists(f"/proc/{child}"):
        executor.reconcile()  # reaps the finished child
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{child}") and _zombies_of(os.getpid()) == []


def test_other_task_types_keep_flowers_subprocess_launch(monkeypatch):
    launched = []
    monkeypatch.setattr(_superexec.SubprocessExecutor, "launch",
                        lambda self, spec: launched.append(spec.task_type) or "flower's")
    assert _superexec.ForkingExecutor().launch(_spec(TaskType.SERVER_APP)) == "flower's"
    assert launched == [TaskType.SERVER_APP]
