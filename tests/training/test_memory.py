"""Memory: training steps leave no reference cycles (a graph is freed the moment its last
tensor goes, without the garbage collector) and resident memory does not creep. The long
version, 100,000 MLP and 10,000 GPT steps, is scripts/soak.py."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.models import MLP, SimpleCNN
from abinitio.models.gpt import GPT
from abinitio.models.rnn import MNIST1DGRU


def _step(model, x, y, loss_fn=nn.functional.cross_entropy):
    optimizer = ab.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    return step


def _labels(n, classes, shape=None):
    return ab.tensor(np.random.default_rng(0).integers(0, classes, shape or (n,)))


WORKLOADS = {
    "mlp": lambda: _step(MLP(16, (32, 16), 4, dropout=0.1), ab.randn(8, 16), _labels(8, 4)),
    "cnn": lambda: _step(SimpleCNN(1, 10, (8, 8), dropout=0.1), ab.randn(4, 1, 8, 8),
                         _labels(4, 10)),  # fmt: skip
    "gru": lambda: _step(MNIST1DGRU(), ab.randn(4, 40), _labels(4, 10)),
    "gpt": lambda: _step(GPT(11, 8, 2, 2, 16, dropout=0.1), _labels(0, 11, (2, 8)),
                         _labels(0, 11, (2, 8))),  # fmt: skip
}


@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.mark.parametrize("name", WORKLOADS)
def test_training_steps_create_no_reference_cycles(name, no_gc):
    step = WORKLOADS[name]()
    step()
    gc.collect()
    for _ in range(5):
        step()
    assert gc.collect() == 0, f"{name}: training steps left cyclic garbage"


def test_a_graph_is_freed_when_its_last_tensor_goes(no_gc):
    w = ab.randn(4, 4, requires_grad=True)
    loss = ((ab.randn(3, 4) @ w).tanh() ** 2).sum()
    node = weakref.ref(loss._ctx)
    del loss
    assert node() is None  # freed by reference counting alone


def test_memory_does_not_creep_over_many_steps():
    step = WORKLOADS["mlp"]()
    for _ in range(50):
        step()
    tracemalloc.start()
    try:
        for _ in range(100):
            step()
        after_warm, _ = tracemalloc.get_traced_memory()
        for _ in range(400):
            step()
        after_more, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after_more - after_warm < 64 * 1024, f"grew {after_more - after_warm} bytes"
