"""Secure aggregation (Flower's SecAgg+) over real Flower processes on 127.0.0.1: the masked
mean the server unmasks is the example-weighted FedAvg of the same seeded local updates, to
within SecAgg+'s quantisation error; a client whose update is NaN is refused on the client,
before masking, and SecAgg+ recovers from its dropping out; no process is left."""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from abinitio import load
from abinitio.cli import main
from helpers import processes_mentioning, require

require("flwr")
from abinitio.cli import federated as command  # noqa: E402
from abinitio.federated import ModelMismatchError, model_arrays  # noqa: E402
from abinitio.federated.apps import train_round  # noqa: E402
from abinitio.federated.secure import guard_before_masking, named_arrays  # noqa: E402

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")

R, CLIP = 2**22, 8.0  # SecAgg+'s quantisation levels and clipping range (Flower's defaults)


def _seeded_update(options, pid, start):
    """Client ``pid``'s round-1 update, computed here exactly as its ClientApp does."""
    folder = os.path.dirname(options["test-file"])
    with np.load(os.path.join(folder, f"client-{pid}.npz")) as data:
        x, y = data["x"], data["y"]
    config = {"lr": options["lr"], "local-epochs": options["local-epochs"],
              "batch-size": options["batch-size"], "momentum": options["momentum"],
              "round-offset": 0, "server-round": 1}  # fmt: skip
    context = SimpleNamespace(node_config={"partition-id": pid}, run_config=options)
    arrays, metrics = train_round(command.build_model(options), x, y, start, config, context, pid)
    return arrays, metrics["num-examples"]


def test_secagg_plus_mean_equals_weighted_fedavg_and_a_nan_client_is_refused(tmp_path, capsys):
    out = str(tmp_path / "secure")
    code = main(["federated", "--clients", "3", "--rounds", "1", "--partition", "dirichlet:0.3",
                 "--local-epochs", "1", "--faults", "nan", "--secure-aggregation",
                 "--no-baseline", "--out", out])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert processes_mentioning(str(tmp_path)) == []  # every Flower process is gone
    state = json.loads(Path(out, "rounds.json").read_text())
    (record,) = state["rounds"]
    # client 2 sent NaN: refused before masking, so SecAgg+ saw it drop out
    assert record["aggregated"] == 2 and len(record["rejected"]) == 1
    assert "refused before masking" in record["rejected"][0]["reason"]
    assert sorted(int(c["partition-id"]) for c in record["clients"].values()) == [0, 1]
    options = json.loads(Path(out, "federated.json").read_text())
    start = model_arrays(command.build_model(options))
    updates = [_seeded_update(options, pid, start) for pid in (0, 1)]
    n = np.array([examples for _, examples in updates], float)
    weighted = {k: sum(w * a[k] for (a, _), w in zip(updates, n)) / n.sum() for k in start}
    unweighted = {k: (updates[0][0][k] + updates[1][0][k]) / 2 for k in start}
    secure = {k: v.array for k, v in load(os.path.join(out, "model.safetensors")).items()}
    # stochastic rounding: at most one level (2c/R) per client and coordinate, scaled
    # back by the total weight sum(n_i)/M
    bound = len(n) * (2 * CLIP / R) / (n.sum() / options["secagg-max-weight"]) + 1e-6
    errors = [np.abs(secure[k] - weighted[k]).max() for k in start]
    assert max(errors) <= bound, (max(errors), bound)
    # and it is that mean, not the unweighted one nor the untrained start (each lies
    # over 20 bounds from the weighted mean, so neither could pass the check above)
    assert max(np.abs(secure[k] - unweighted[k]).max() for k in start) > 10 * bound
    assert max(np.abs(secure[k] - start[k]).max() for k in start) > 10 * bound


def test_the_client_side_guard_refuses_what_secagg_would_average_or_clip():
    reference = {"w": (2, 2), "b": (2,)}
    good = {"w": np.ones((2, 2)), "b": np.zeros(2)}
    assert guard_before_masking(good, reference, CLIP) is None
    assert "non-finite" in guard_before_masking({**good, "b": np.array([np.inf, 0])},
                                                reference, CLIP)  # fmt: skip
    assert "shape mismatch" in guard_before_masking({**good, "w": np.ones((2, 3))},
                                                    reference, CLIP)  # fmt: skip
    assert "clipping range" in guard_before_masking({**good, "w": np.full((2, 2), 9.0)},
                                                    reference, CLIP)  # fmt: skip


def test_legacy_parameters_are_named_in_state_dict_order_and_counted():
    from abinitio import nn

    model = nn.Linear(3, 2)
    arrays = list(model_arrays(model).values())
    assert list(named_arrays(model, arrays)) == ["weight", "bias"]
    try:
        named_arrays(model, arrays[:1])
    except ModelMismatchError as error:
        assert "expected 2 arrays" in str(error) and "got 1" in str(error)
    else:
        raise AssertionError("a missing array was accepted")


def test_secure_aggregation_refuses_what_it_cannot_run(tmp_path, capsys):
    out = str(tmp_path / "bad")
    cases = [
        (["--strategy", "fedprox"], "--strategy fedprox"),
        (["--dp-noise", "1.0"], "--dp-noise 1.0"),
        (["--secagg-shares", "3", "--secagg-threshold", "3"], "--secagg-threshold < "),
    ]
    for extra, message in cases:
        assert main(["federated", "--secure-aggregation", "--out", out, *extra]) == 2
        assert message in capsys.readouterr().err
