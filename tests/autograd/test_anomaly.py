"""Anomaly detection: the first primitive that creates NaN or inf raises, naming itself,
its input shapes and the user's line; inherited non-finite values pass; the trainer's NaN
stop says where the NaN arose."""

import math

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.autograd import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from abinitio.training import Trainer, TrainingDiverged


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with np.errstate(all="ignore"):
        yield


def test_forward_names_the_op_its_shapes_and_the_users_line():
    x = ab.tensor([[1.0, 0.0, 2.0]], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y = x * 2
        y.log()  # the line the error must point at
    error = caught.value
    assert error.op == "Log" and error.shapes == [(1, 3)]
    assert "test_anomaly.py" in error.where and "y.log()" in error.where
    assert "Log produced inf" in str(error)


def test_backward_names_the_backward_and_where_its_forward_was_created():
    x = ab.tensor([4.0, 0.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt().sum()  # finite forward (sqrt(0) = 0), infinite derivative at 0
        with pytest.raises(AnomalyError) as caught:
            y.backward()
    assert caught.value.op.startswith("SqrtBackward")
    assert "x.sqrt().sum()" in caught.value.where


def test_values_that_arrive_non_finite_are_passed_on():
    scores = ab.tensor([0.5, 1.0, 2.0], requires_grad=True)
    mask = ab.tensor(np.array([0.0, -np.inf, 0.0], np.float32))
    with detect_anomaly():
        p = (scores + mask).softmax(0)  # an additive -inf mask is not an anomaly
        p.sum().backward()
    assert p.detach().numpy()[1] == 0 and np.isfinite(scores.grad.numpy()).all()


def test_off_by_default_and_restored_after_the_block():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    try:
        with pytest.raises(AnomalyError):
            ab.tensor([-1.0]).sqrt()
    finally:
        set_detect_anomaly(False)
    assert math.isnan(ab.tensor([-1.0]).sqrt().item())  # no check when off
    with pytest.raises(TypeError, match="True or False"):
        set_detect_anomaly("yes")


def test_detect_anomaly_works_as_a_decorator():
    @detect_anomaly()
    def divide(x):
        return x / ab.tensor([0.0])

    with pytest.raises(AnomalyError, match="Div produced inf"):
        divide(ab.tensor([1.0]))
    assert not is_anomaly_enabled()


class _LogModel(nn.Module):
    """Linear then log: the log of a negative score is where the NaN is born."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x):
        return self.linear(x).log()


def test_the_trainers_nan_stop_says_where_the_nan_arose():
    model = _LogModel()
    with ab.no_grad():
        model.linear.weight.array[...] = -1.0  # every score negative: log gives NaN
    data = ab.data.TensorDataset(ab.ones(8, 2), ab.zeros(8, dtype=ab.int64))
    trainer = Trainer(model, ab.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      progress=False, log=None)  # fmt: skip
    with pytest.raises(TrainingDiverged) as caught:
        trainer.fit(ab.data.DataLoader(data, batch_size=4), epochs=1)
    assert caught.value.where and "Log produced nan" in caught.value.where
    assert "self.linear(x).log()" in str(caught.value)
    with ab.no_grad():
        model.linear.weight.array[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match="parameter 'linear.weight' holds non-finite"):
        trainer.fit(ab.data.DataLoader(data, batch_size=4), epochs=1)
