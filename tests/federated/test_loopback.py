"""A real Flower run on loopback: a SuperLink and two SuperNodes as processes on 127.0.0.1,
two rounds through ``abinitio federated``. The global parameters change, the metrics
arrive, ``abinitio evaluate`` reads the global model, and no process is left afterwards;
also when the run fails inside the federation, on Ctrl-C and on SIGTERM."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from abinitio import load
from abinitio.cli import main
from helpers import processes_mentioning, require

require("flwr")
from abinitio.cli import federated as command  # noqa: E402
from abinitio.federated import LoopbackFederation  # noqa: E402
from abinitio.federated.launcher import live_members  # noqa: E402

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")


def test_two_clients_two_rounds_over_real_flower_processes(tmp_path, capsys):
    out = str(tmp_path / "run")
    code = main(["federated", "--dataset", "digits", "--model", "mlp", "--clients", "2",
                 "--rounds", "2", "--partition", "dirichlet:0.5", "--no-baseline",
                 "--out", out])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert processes_mentioning(str(tmp_path)) == []  # every Flower process is gone
    state = json.loads(Path(out, "rounds.json").read_text())
    assert state["finished"] and [r["round"] for r in state["rounds"]] == [1, 2]
    for record in state["rounds"]:
        assert record["aggregated"] == 2 and not record["rejected"]
        assert sorted(int(c["partition-id"]) for c in record["clients"].values()) == [0, 1]
        assert all(c["num-examples"] > 0 and "train-loss" in c for c in record["clients"].values())
    assert state["rounds"][-1]["accuracy"] > state["initial"]["accuracy"]
    options = json.loads(Path(out, "federated.json").read_text())
    initial = command.build_model(options)
    final = load(os.path.join(out, "model.safetensors"))
    changed = [not np.array_equal(t.array, final[n].array) for n, t in initial.state_dict().items()]
    assert all(changed)
    assert os.path.exists(os.path.join(out, "report.html"))
    capsys.readouterr()
    assert main(["evaluate", out]) == 0
    assert f"{state['rounds'][-1]['accuracy']:.2%}" in capsys.readouterr().out


def test_no_process_is_left_when_the_run_fails_inside_the_federation(tmp_path):
    federation = LoopbackFederation([{"partition-id": 0, "num-partitions": 1}], str(tmp_path),
                                    log=None)  # fmt: skip
    with pytest.raises(RuntimeError, match="fails here"):
        with federation:
            assert len(federation.pids()) >= 2  # the SuperLink and the SuperNode
            raise RuntimeError("the run fails here")
    assert live_members(federation.groups) == [] and federation.pids() == []
    assert processes_mentioning(str(tmp_path)) == []


def test_bad_input_is_refused_before_any_process_starts(tmp_path, capsys):
    out = str(tmp_path / "bad")
    cases = [(["--partition", "dirichlet:0"], "alpha must be > 0"),
             (["--partition", "dirichlet:-1"], "alpha must be > 0"),
             (["--clients", "2000"], "1438 examples cannot be split among 2000 clients"),
             (["--faults", "raise,explode"], "--faults"),
             (["--strategy", "fedsgd"], "unknown --strategy"),
             (["--rounds", "0"], "--rounds must be a positive integer")]  # fmt: skip
    for extra, message in cases:
        assert main(["federated", "--out", out, *extra]) == 2
        assert message in capsys.readouterr().err
    assert not os.path.exists(os.path.join(out, "flower"))


HOLD = """
import sys, time
from abinitio.federated import LoopbackFederation
with LoopbackFederation([{"partition-id": 0, "num-partitions": 1}], sys.argv[1], log=None):
    print("up", flush=True)
    time.sleep(600)
"""


def test_ctrl_c_and_sigterm_stop_every_process(tmp_path):
    import signal
    import subprocess
    import sys

    launched = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        work = tmp_path / signum.name
        launched[signum] = (work, subprocess.Popen([sys.executable, "-c", HOLD, str(work)],
                                                   stdout=subprocess.PIPE, text=True))  # fmt: skip
    for signum, (work, process) in launched.items():
        assert process.stdout.readline().strip() == "up"
        assert len(processes_mentioning(str(work))) >= 3  # launcher, SuperLink, SuperNode
        process.send_signal(signum)
    for signum, (work, process) in launched.items():
        process.wait(60)
        assert processes_mentioning(str(work)) == [], signum.name
