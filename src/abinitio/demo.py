"""The first program: a two-layer network learns the two-moons problem, written with
nothing but tensors and ``backward()``.

Everything a framework automates is spelled out here: the weights are plain tensors with
``requires_grad=True``, the forward pass is two matrix products with a tanh between them,
the loss is the binary cross-entropy of a sigmoid output, ``loss.backward()`` runs the
chain rule, and the update is gradient descent written by hand.
"""

from __future__ import annotations

import math

import abinitio as ab
from abinitio.data.datasets import moons


def train_two_moons(
    steps: int = 1500,
    hidden: int = 16,
    lr: float = 0.5,
    seed: int = 0,
    print_every: int = 150,
    log=print,
) -> float:
    """Train and return the test accuracy; prints the loss as it falls."""
    ab.manual_seed(seed)
    x_train, y_train, x_test, y_test = moons(1200, noise=0.15, test_fraction=1 / 3, seed=seed)
    x, y = ab.tensor(x_train), ab.tensor(y_train).float()

    # Xavier-style initial weights: variance 1/fan_in keeps tanh out of saturation
    w1 = (ab.randn(2, hidden) * (1 / math.sqrt(2))).requires_grad_()
    b1 = ab.zeros(hidden, requires_grad=True)
    w2 = (ab.randn(hidden, 1) * (1 / math.sqrt(hidden))).requires_grad_()
    b2 = ab.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]

    def forward(inputs):
        hidden_layer = (inputs @ w1 + b1).tanh()
        return (hidden_layer @ w2 + b2).reshape(-1)  # logits

    log(f"two moons: {len(x_train)} training points, 2 -> {hidden} (tanh) -> 1 (sigmoid)")
    for step in range(steps + 1):
        p = forward(x).sigmoid().clamp(1e-7, 1 - 1e-7)
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        for w in params:
            w.grad = None
        loss.backward()
        with ab.no_grad():
            for w in params:
                w -= lr * w.grad
        if step % print_every == 0:
            log(f"step {step:5d}   loss {loss.item():.4f}")
    with ab.no_grad():
        predictions = (forward(ab.tensor(x_test)) > 0).numpy()
    accuracy = float((predictions == (y_test == 1)).mean())
    log(f"test accuracy: {accuracy:.1%}")
    return accuracy
