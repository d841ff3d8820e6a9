"""The temporal-order task (abinitio.snn.timing) over several seeds: a spiking network
reading spike times, against an MLP and a spiking network that see only spike counts.

    python scripts/snn_timing.py [--seeds 0 1 2] [--epochs 30]

Prints the test accuracy of each model per seed, and the mean and worst.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import abinitio as ab
from abinitio import nn, snn
from abinitio.data import DataLoader, TensorDataset
from abinitio.models import MLP
from abinitio.snn.timing import spike_counts, temporal_order


def fit(model, x, y, epochs, lr, batch_size=64):
    optimizer = ab.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return model


def accuracy(model, x, y) -> float:
    model.eval()
    with ab.no_grad():
        return float((model(ab.tensor(x)).numpy().argmax(-1) == y).mean())


def temporal_snn(data, epochs, seed):
    """Reads the spike trains as they are: 10 channels -> 64 LIF -> 4 LIF, beta 0.95."""
    ab.manual_seed(seed)
    steps, channels = data.input_shape
    model = snn.SpikingMLP(channels, (64,), 4, time_steps=steps, encoding="none", beta=0.95)
    fit(model, data.x_train, data.y_train, epochs, lr=5e-3)
    return accuracy(model, data.x_test, data.y_test)


def count_mlp(data, epochs, seed):
    """An MLP on the spike count of each channel (what a rate code keeps)."""
    ab.manual_seed(seed)
    x_train, x_test = spike_counts(data.x_train), spike_counts(data.x_test)
    model = MLP(x_train.shape[1], (64, 64), 4)
    fit(model, x_train, data.y_train, epochs, lr=1e-2)
    return accuracy(model, x_test, data.y_test)


def rate_snn(data, epochs, seed):
    """The same spiking network, fed a rate code of the counts (Bernoulli, count / T)."""
    ab.manual_seed(seed)
    steps, channels = data.input_shape
    model = snn.SpikingMLP(channels, (64,), 4, time_steps=steps, encoding="rate", beta=0.95)
    model.set_input_range(0.0, float(steps))  # count c -> firing probability c / T
    x_train, x_test = spike_counts(data.x_train), spike_counts(data.x_test)
    fit(model, x_train, data.y_train, epochs, lr=5e-3)
    return accuracy(model, x_test, data.y_test)


MODELS = {"temporal SNN": temporal_snn, "MLP on counts": count_mlp, "rate-coded SNN": rate_snn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    results = {name: [] for name in MODELS}
    for seed in args.seeds:
        data = temporal_order(seed=seed)
        for name, run in MODELS.items():
            started = time.perf_counter()
            results[name].append(run(data, args.epochs, seed))
            print(f"seed {seed}  {name:<15} {results[name][-1]:.2%}  "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    print("\nmodel            mean     worst   (chance 25%)")
    for name, values in results.items():
        print(f"{name:<15} {np.mean(values):7.2%}  {np.min(values):7.2%}")


if __name__ == "__main__":
    main()
