"""Spiking networks: abinitio against snnTorch (on PyTorch, CPU), same work, interleaved rounds.

A full training step each: forward over T = 25 steps, cross-entropy on the output spike
counts, backward through time, Adam. Inputs are pre-encoded rate-coded spike trains
(T, N, ...), the same arrays for every candidate, so the encoder is not timed.

Workloads (``--workload NAME``, several allowed; default both):
* ``lif_mlp``: the digits network, 64-128-10 with Leaky neurons (beta 0.9, fast-sigmoid
  surrogate), batch 128.
* ``csnn``: snnTorch's tutorial CSNN on 1x28x28: Conv 12@5x5, max-pool 2, Leaky, Conv
  64@5x5, max-pool 2, Leaky, Linear 1024-10, Leaky; batch 128.

Candidates: ``snntorch`` (its tutorials' loop: every layer called once per step), and
abinitio ``fused`` (layer by layer: each Linear/Conv2d once on all T*N inputs, each LIF
layer one fused node), ``composed`` (the same layer by layer, the LIF loop written with
ordinary operations) and, for the MLP, ``stepped`` (snnTorch's loop with abinitio's
``Leaky``). Ratios above 1 mean abinitio is faster than snnTorch.

Each candidate runs in a worker process of its own (``isolated.py``; ``--isolation none``
puts all in one process), at 1 and then 2 threads (``--threads``).

Run: ``python benchmarks/bench_snn.py [--workload lif_mlp] [--threads 2] [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from isolated import add_isolation_option, compare_workload

import abinitio as ab
from abinitio import nn, snn
from common import load_average, save, try_import_torch

STEPS, BATCH, BETA = 25, 128, 0.9


def _spikes(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((STEPS, BATCH, *shape)) < 0.3).astype(np.float32)
    return x, rng.integers(0, 10, BATCH)


# ---- abinitio -----------------------------------------------------------------------------
def _ab_step(model, forward, x, y):
    optimizer = ab.optim.Adam(model.parameters(), lr=1e-3)
    x, y = ab.tensor(x), ab.tensor(y)

    def step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(forward(x).sum(0), y)
        loss.backward()
        optimizer.step()

    return step


def _ab_mlp(fused):
    ab.manual_seed(0)
    model = snn.SpikingMLP(64, (128,), 10, time_steps=STEPS, beta=BETA, fused=fused,
                           spike_grad=snn.surrogate.fast_sigmoid(25))  # fmt: skip
    return model, model.run


def _ab_stepped_mlp():
    """snnTorch's loop with abinitio's single-step Leaky."""
    ab.manual_seed(0)
    grad = snn.surrogate.fast_sigmoid(25)
    fc1, fc2 = nn.Linear(64, 128), nn.Linear(128, 10)
    lif1, lif2 = snn.Leaky(beta=BETA, spike_grad=grad), snn.Leaky(beta=BETA, spike_grad=grad)
    model = nn.ModuleList([fc1, fc2, lif1, lif2])

    def forward(x):
        mem1, mem2 = lif1.init_leaky(), lif2.init_leaky()
        out = []
        for t in range(STEPS):
            spk1, mem1 = lif1(fc1(x[t]), mem1)
            spk2, mem2 = lif2(fc2(spk1), mem2)
            out.append(spk2)
        return ab.stack(out)

    return model, forward


def _ab_csnn(fused):
    ab.manual_seed(0)
    grad = snn.surrogate.fast_sigmoid(25)
    model = snn.SpikingCNN(1, 10, (28, 28), channels=(12, 64), kernel_size=5, time_steps=STEPS,
                           beta=BETA, fused=fused, spike_grad=grad)  # fmt: skip
    return model, model.run


# ---- snnTorch -----------------------------------------------------------------------------
def _torch_step(torch, layers, forward, x, y):
    optimizer = torch.optim.Adam(layers.parameters(), lr=1e-3)
    x, y = torch.tensor(x), torch.tensor(y)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(x).sum(0), y)
        loss.backward()
        optimizer.step()

    return step


def _snntorch_mlp(torch, snntorch):
    grad = snntorch.surrogate.fast_sigmoid(25)
    fc1, fc2 = torch.nn.Linear(64, 128), torch.nn.Linear(128, 10)
    lif1 = snntorch.Leaky(beta=BETA, spike_grad=grad)
    lif2 = snntorch.Leaky(beta=BETA, spike_grad=grad)
    layers = torch.nn.ModuleList([fc1, fc2, lif1, lif2])

    def forward(x):
        mem1, mem2 = lif1.init_leaky(), lif2.init_leaky()
        out = []
        for t in range(STEPS):
            spk1, mem1 = lif1(fc1(x[t]), mem1)
            spk2, mem2 = lif2(fc2(spk1), mem2)
            out.append(spk2)
        return torch.stack(out)

    return layers, forward


def _snntorch_csnn(torch, snntorch):
    grad = snntorch.surrogate.fast_sigmoid(25)
    conv1, conv2 = torch.nn.Conv2d(1, 12, 5), torch.nn.Conv2d(12, 64, 5)
    fc = torch.nn.Linear(64 * 4 * 4, 10)
    lifs = [snntorch.Leaky(beta=BETA, spike_grad=grad) for _ in range(3)]
    layers = torch.nn.ModuleList([conv1, conv2, fc, *lifs])
    pool = torch.nn.functional.max_pool2d

    def forward(x):
        mems = [lif.init_leaky() for lif in lifs]
        out = []
        for t in range(STEPS):
            spk1, mems[0] = lifs[0](pool(conv1(x[t]), 2), mems[0])
            spk2, mems[1] = lifs[1](pool(conv2(spk1), 2), mems[1])
            spk3, mems[2] = lifs[2](fc(spk2.flatten(1)), mems[2])
            out.append(spk3)
        return torch.stack(out)

    return layers, forward


def _snntorch(torch):
    """snnTorch beside ``torch``, or None (no PyTorch in this process, or no snnTorch)."""
    if torch is None:
        return None
    try:
        import snntorch
    except ImportError:
        return None
    return snntorch


def lif_mlp(torch):
    snntorch = _snntorch(torch)
    x, y = _spikes((64,))
    candidates = {}
    if snntorch is not None:
        candidates["snntorch"] = _torch_step(torch, *_snntorch_mlp(torch, snntorch), x, y)
    candidates["fused"] = _ab_step(*_ab_mlp(True), x, y)
    candidates["composed"] = _ab_step(*_ab_mlp(False), x, y)
    candidates["stepped"] = _ab_step(*_ab_stepped_mlp(), x, y)
    return candidates


def csnn(torch):
    snntorch = _snntorch(torch)
    x, y = _spikes((1, 28, 28))
    candidates = {}
    if snntorch is not None:
        candidates["snntorch"] = _torch_step(torch, *_snntorch_csnn(torch, snntorch), x, y)
    candidates["fused"] = _ab_step(*_ab_csnn(True), x, y)
    candidates["composed"] = _ab_step(*_ab_csnn(False), x, y)
    return candidates


WORKLOADS = {"lif_mlp": lif_mlp, "csnn": csnn}
SETTINGS = {"lif_mlp": (5, 9), "csnn": (1, 5)}  # (calls per timed block, rounds)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    add_isolation_option(parser)
    args = parser.parse_args(argv)
    torch = try_import_torch()
    results = {}
    for threads in args.threads:
        for name in args.workload or list(WORKLOADS):
            repeat, rounds = (1, 2) if args.quick else SETTINGS[name]
            stats, _ = compare_workload(f"bench_snn:{name}", torch, threads, repeat, rounds,
                                        args.isolation, warmup=1)  # fmt: skip
            for entry in stats.values():
                entry["samples_per_s"] = BATCH / entry["median_s"]
            results[f"{name}_{threads}_threads"] = stats
            load = load_average()
            print(f"{name}, {threads} thread(s): training samples per second (T={STEPS}, "
                  f"batch {BATCH}; median of {rounds} rounds; load {load:.2f})")  # fmt: skip
            for candidate, entry in stats.items():
                ratio = entry["speed_vs_baseline"]
                speed = entry["samples_per_s"]
                print(f"  {candidate:10s} {speed:9.0f}   {ratio:5.2f}x {entry['baseline']}")
    path = save("bench_snn", {"isolation": args.isolation, "results": results})
    print(f"results written to {path}")
    return results


if __name__ == "__main__":
    main()
