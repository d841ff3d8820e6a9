"""Training throughput: abinitio against PyTorch (CPU) in one process, same work, same data.

Each workload builds the same network in every framework, then times full training steps
(forward, loss, backward, optimiser step) in interleaved rounds. Reported: samples per
second (median over rounds) and the median per-round ratio to PyTorch.

Workloads (``--workload NAME``, several allowed; default all):
* ``mlp``: MLP 784-256-128-10, ReLU, cross-entropy, SGD with momentum 0.9, batch 128.
  A third column is the same network written by hand in NumPy: the limit for any NumPy
  framework on this GEMM-bound network.

Run: ``python benchmarks/bench_train.py [--workload mlp] [--quick]``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import abinitio as ab
import abinitio.optim  # noqa: F401  (ab.optim)
from common import compare, save, try_import_torch

WORKLOADS = {}


def workload(name):
    def register(builder):
        WORKLOADS[name] = builder
        return builder

    return register


def _batches(count, batch, features, classes, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((batch, *features)).astype(np.float32) for _ in range(count)]
    ys = [rng.integers(0, classes, size=batch) for _ in range(count)]
    return xs, ys


def _cycle(xs, ys):
    state = {"i": 0}

    def next_batch():
        i = state["i"] = (state["i"] + 1) % len(xs)
        return xs[i], ys[i]

    return next_batch


@workload("mlp")
def mlp(torch):
    """784-256-128-10 MLP, SGD momentum, batch 128."""
    sizes, batch, lr, momentum = (784, 256, 128, 10), 128, 0.01, 0.9
    xs, ys = _batches(8, batch, (784,), 10)
    candidates = {}
    if torch is not None:
        candidates["torch"] = _torch_mlp_step(torch, sizes, lr, momentum, _cycle(xs, ys))
    candidates["abinitio"] = _abinitio_mlp_step(sizes, lr, momentum, _cycle(xs, ys))
    candidates["numpy_by_hand"] = _numpy_mlp_step(sizes, lr, momentum, _cycle(xs, ys))
    return candidates, batch


def _abinitio_mlp_step(sizes, lr, momentum, next_batch):
    layers = []
    for i in range(len(sizes) - 1):
        layers += [ab.nn.Linear(sizes[i], sizes[i + 1]), ab.nn.ReLU()]
    model = ab.nn.Sequential(*layers[:-1])
    optimizer = ab.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = ab.nn.CrossEntropyLoss()
    batches = [(ab.tensor(x), ab.tensor(y)) for x, y in [next_batch() for _ in range(8)]]
    cycle = _cycle(*zip(*batches))

    def step():
        x, y = cycle()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _torch_mlp_step(torch, sizes, lr, momentum, next_batch):
    layers = []
    for i in range(len(sizes) - 1):
        layers += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = [(torch.tensor(x), torch.tensor(y)) for x, y in [next_batch() for _ in range(8)]]
    cycle = _cycle(*zip(*batches))

    def step():
        x, y = cycle()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _numpy_mlp_step(sizes, lr, momentum, next_batch):
    """The same MLP with the chain rule written out by hand: the NumPy speed limit."""
    rng = np.random.default_rng(0)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    params = weights + biases
    velocity = [np.zeros_like(p) for p in params]

    def step():
        x, y = next_batch()
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w.T
            z += b
            if i < len(weights) - 1:
                np.maximum(z, 0, out=z)
            activations.append(z)
        logits = activations[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(y)), y] -= 1
        grad = probs / len(y)
        grads_w, grads_b = [None] * len(weights), [None] * len(weights)
        for i in reversed(range(len(weights))):
            grads_w[i] = grad.T @ activations[i]
            grads_b[i] = grad.sum(axis=0)
            if i:
                grad = grad @ weights[i]
                grad *= activations[i] > 0
        for p, v, g in zip(params, velocity, grads_w + grads_b):
            v *= momentum
            v += g
            p -= lr * v

    return step


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args(argv)
    torch = try_import_torch()
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)  # the cores NumPy's BLAS uses
    results = {}
    for name in args.workload or list(WORKLOADS):
        candidates, batch = WORKLOADS[name](torch)
        rounds, repeat = (3, 3) if args.quick else (9, 10)
        stats = compare(candidates, repeat=repeat, rounds=rounds)
        for entry in stats.values():
            entry["samples_per_s"] = batch / entry["median_s"]
        results[name] = stats
        print(f"{name}: training samples per second (median of {rounds} rounds)")
        for candidate, entry in stats.items():
            ratio = entry["speed_vs_baseline"]
            speed = entry["samples_per_s"]
            print(f"  {candidate:14s} {speed:10.0f}   {ratio:5.2f}x {entry['baseline']}")
    path = save("bench_train", results)
    print(f"results written to {path}")
    return results


if __name__ == "__main__":
    main()
