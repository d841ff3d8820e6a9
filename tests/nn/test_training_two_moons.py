"""End to end: a two-hidden-layer MLP with He initialisation and Adam learns two moons."""

import numpy as np

import abinitio as ab
import abinitio.optim
from abinitio import nn
from abinitio.data.datasets import moons


def test_mlp_with_he_init_and_adam_learns_two_moons():
    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = moons(1500, noise=0.2, test_fraction=1 / 3, seed=0)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    optimizer = abinitio.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = ab.tensor(x_train), ab.tensor(y_train.astype(np.int64))
    for _epoch in range(60):
        order = rng.permutation(len(x_train))
        for start_index in range(0, len(order), 100):
            batch = ab.tensor(order[start_index : start_index + 100])
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with ab.no_grad():
        predictions = model(ab.tensor(x_test)).argmax(1).numpy()
    accuracy = (predictions == y_test).mean()
    assert accuracy > 0.97, f"test accuracy {accuracy:.3f}"
