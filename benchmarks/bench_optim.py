"""The optimiser step on flat buffers (``foreach``) against the per-parameter loop, PyTorch
(``foreach=False`` and ``True``) and a hand-written NumPy loop; and the whole MLP training
step (bench_train's ``mlp`` workload) with each abinitio path.

    python benchmarks/bench_optim.py [--threads 1 2] [--rounds 9]

Parameters come from bench_train's models: the MLP 784-256-128-10 (SGD momentum, 6
tensors), the character GPT (AdamW, 29 tensors) and the plain-ops Transformer (AdamW).
Gradients are fixed arrays set before each step (a fresh array each step, as backward
gives). Candidates interleave, medians of per-round ratios (common.compare); ratios are
against the first candidate, so above 1 means faster than it.
"""

from __future__ import annotations

import argparse

import bench_train
import numpy as np

import abinitio as ab
import abinitio.optim  # noqa: F401
from common import compare, environment, limit_threads, load_average, try_import_torch


def _models():
    from abinitio.models import GPT

    ab.manual_seed(0)
    yield "mlp (SGD momentum)", bench_train._mlp(ab.nn, (784, 256, 128, 10)), "SGD"
    yield "gpt (AdamW)", GPT(96, 64, n_layers=2, n_heads=4, width=128), "AdamW"
    yield "transformer (AdamW)", bench_train._plain_transformer(ab, 96, 64), "AdamW"


OPTIONS = {"SGD": dict(lr=0.01, momentum=0.9), "AdamW": dict(lr=1e-3)}


def _step_candidates(torch, model, name):
    rng = np.random.default_rng(0)
    shapes = [p.shape for p in model.parameters()]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    candidates = {}
    for label, foreach in (("abinitio loop", False), ("abinitio flat", True)):
        params = [ab.nn.Parameter(ab.tensor(rng.standard_normal(s).astype(np.float32)))
                  for s in shapes]  # fmt: skip
        optimizer = getattr(ab.optim, name)(params, foreach=foreach, **OPTIONS[name])

        def step(params=params, optimizer=optimizer):
            for p, g in zip(params, grads):
                p.grad = ab.Tensor._make(g.copy(), False, None)  # backward's fresh arrays
            optimizer.step()

        candidates[label] = step
    if torch is not None:
        for label, foreach in (("torch loop", False), ("torch foreach", True)):
            params = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
            optimizer = getattr(torch.optim, name)(params, foreach=foreach, **OPTIONS[name])
            tgrads = [torch.from_numpy(g) for g in grads]

            def tstep(params=params, optimizer=optimizer, tgrads=tgrads):
                for p, g in zip(params, tgrads):
                    p.grad = g.clone()
                optimizer.step()

            candidates[label] = tstep
    if name == "SGD":
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        velocity = [np.zeros_like(a) for a in arrays]

        def by_hand():
            for p, v, g in zip(arrays, velocity, grads):
                g = g.copy()
                v *= 0.9
                v += g
                p -= 0.01 * v

        candidates["numpy by hand"] = by_hand
    return candidates


def _mlp_candidates(torch):
    sizes, batch = (784, 256, 128, 10), 128
    batches = bench_train._batches(8, batch, (784,), 10)
    candidates = {}
    for label, foreach in (("abinitio loop", False), ("abinitio flat", None)):
        ab.manual_seed(0)
        model = bench_train._mlp(ab.nn, sizes)
        optimizer = ab.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, foreach=foreach)
        candidates[label] = bench_train.classifier_step(ab, model, optimizer, batches)
    if torch is not None:
        model = bench_train._mlp(torch.nn, sizes)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        candidates["torch"] = bench_train.classifier_step(torch, model, optimizer, batches)
    cycle = bench_train._cycle(*batches)
    candidates["numpy by hand"] = bench_train._numpy_mlp_step(sizes, 0.01, 0.9, cycle)
    return candidates


def _print(title, results):
    print(f"  {title}")
    for label, r in results.items():
        print(f"    {label:16s} {r['median_s'] * 1e3:8.3f} ms  "
              f"{r['speed_vs_baseline']:5.2f}x of {r['baseline']}")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    torch = try_import_torch()
    env = environment(torch)
    print(f"{env.get('cpu')}; {env.get('blas')}; load average {load_average():.2f}")
    for threads in args.threads:
        with limit_threads(threads, torch):
            print(f"{threads} thread(s), load average {load_average():.2f}")
            for title, model, name in _models():
                results = compare(_step_candidates(torch, model, name), 20, args.rounds, pause=0.05)
                _print(f"optimizer.step() alone, {title}", results)
            results = compare(_mlp_candidates(torch), 10, args.rounds, pause=0.1)
            _print("MLP training step (forward, backward, step)", results)
            print(f"  load average after: {load_average():.2f}")


if __name__ == "__main__":
    main()
