"""Aggregation parity: with every client taking one full-batch SGD step, Flower's FedAvg
over abinitio's local training is gradient descent on the pooled data (the example-weighted
mean of the clients' gradients). Also: the guard keeps failed, NaN and malformed updates out
of the average, and FedProx's proximal term has the gradient mu (w - w_t)."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.federated import (
    build_strategy,
    from_array_record,
    guard,
    layout_of,
    load_arrays,
    model_arrays,
    to_array_record,
)
from helpers import require

require("flwr")
from flwr.app import (  # noqa: E402
    ConfigRecord,
    Error,
    Message,
    MessageType,
    MetricRecord,
    RecordDict,
)
from flwr.supercore.task_identity import TaskIdentity  # noqa: E402

from abinitio.federated.apps import ProximalLoss, local_train  # noqa: E402

LR = 0.3


@pytest.fixture(autouse=True)
def _identity():
    # Messages built outside Flower's processes need a run, node and task id
    saved = (TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id)
    TaskIdentity.run_id, TaskIdentity.node_id, TaskIdentity.task_id = 1, 0, 1
    yield
    TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id = saved


def _model():
    ab.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def _data(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n, 5)), rng.integers(0, 3, n)) for n in sizes]


def _reply(request, arrays, examples, packed=False):
    content = RecordDict({"arrays": to_array_record(arrays, packed),
                          "metrics": MetricRecord({"num-examples": examples})})  # fmt: skip
    return Message(content=content, reply_to=request)


def _requests(global_arrays, count, packed=False):
    record = RecordDict({"arrays": to_array_record(global_arrays, packed),
                         "config": ConfigRecord({})})  # fmt: skip
    return [Message(content=record, dst_node_id=node + 1, message_type=MessageType.TRAIN)
            for node in range(count)]  # fmt: skip


WIRES = pytest.mark.parametrize("packed", [False, True], ids=["arrays", "packed"])


@WIRES
def test_fedavg_of_one_full_batch_step_is_gradient_descent_on_the_pooled_data(packed):
    clients = _data([7, 20, 33])
    start = model_arrays(_model())
    requests = _requests(start, len(clients), packed)
    replies = []
    for request, (x, y) in zip(requests, clients):
        local = _model()
        load_arrays(local, start)
        local_train(local, x, y, epochs=1, lr=LR, batch_size=0)
        replies.append(_reply(request, model_arrays(local), len(x), packed))
    arrays, _ = build_strategy("fedavg", 3).aggregate_train(1, replies)
    assert len(arrays) == (1 if packed else len(start))  # one flat float64 array, packed
    federated = from_array_record(arrays, layout_of(start) if packed else None)
    # centrally: one gradient step on all the data, mean loss over all examples
    central = _model()
    x = ab.tensor(np.concatenate([c[0] for c in clients]))
    y = ab.tensor(np.concatenate([c[1] for c in clients]))
    nn.CrossEntropyLoss()(central(x), y).backward()
    for name, p in central.named_parameters():
        expected = start[name] - LR * p.grad.array
        np.testing.assert_allclose(federated[name], expected, rtol=1e-10, atol=1e-12, err_msg=name)


@WIRES
def test_the_guard_keeps_failed_nan_and_malformed_updates_out_of_the_average(packed):
    start = model_arrays(_model())
    requests = _requests(start, 4, packed)
    good = {n: a + 1.0 for n, a in start.items()}
    nan = {n: a.copy() for n, a in start.items()}
    nan["0.weight"][0, 0] = np.nan
    wrong = {**start, "2.bias": np.zeros(4)}
    replies = [_reply(requests[0], good, 10, packed), _reply(requests[1], nan, 10, packed),
               _reply(requests[2], wrong, 10, packed),
               Message(Error(code=1, reason="boom"), reply_to=requests[3])]  # fmt: skip
    logged = []
    strategy = guard(build_strategy("fedavg", 4, min_clients=1), log=logged.append)
    initial = to_array_record(start, packed)
    list(strategy.configure_train(1, initial, ConfigRecord({}), _FakeGrid(4)))
    arrays, _ = strategy.aggregate_train(1, replies)
    layout = layout_of(start) if packed else None
    for name, value in from_array_record(arrays, layout).items():
        np.testing.assert_allclose(value, good[name], err_msg=name)  # only the sound update
    rejected = strategy.rounds[-1]["rejected"]
    assert [r["node"] for r in rejected] == ["2", "3", "4"]
    where = "packed-float64" if packed else "0.weight"  # packed: the flat array's name
    assert "non-finite" in rejected[0]["reason"] and where in rejected[0]["reason"]
    wrong_one = "packed-float64" if packed else "2.bias"
    assert f"shape mismatch {wrong_one}" in rejected[1]["reason"]
    assert "boom" in rejected[2]["reason"]
    assert len(logged) == 3 and "node 2" in logged[0]


def test_the_proximal_term_pulls_towards_the_global_weights():
    model = _model()
    loss = ProximalLoss(lambda outputs, targets: outputs.sum() * 0, model, mu=0.5)
    for p in model.parameters():
        p.array[...] += 1.0  # w - w_t = 1 everywhere
    x = ab.tensor(np.ones((2, 5)))
    loss(model(x), None).backward()
    for p in model.parameters():
        np.testing.assert_allclose(p.grad.array, 0.5 * np.ones(p.shape))
    with pytest.raises(ValueError, match="mu must be >= 0"):
        ProximalLoss(nn.CrossEntropyLoss(), model, mu=-1)


def test_unknown_strategy_or_option_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown strategy 'fedsgd'"):
        build_strategy("fedsgd", 3)
    with pytest.raises(ValueError, match="has no option .*'eta'"):
        build_strategy("fedavg", 3, eta=0.1)
    with pytest.raises(ValueError, match=r"min_clients must be in \[1, 3\]"):
        build_strategy("fedavg", 3, min_clients=4)


class _FakeGrid:
    def __init__(self, count):
        self.count = count

    def get_node_ids(self):
        return list(range(1, self.count + 1))
