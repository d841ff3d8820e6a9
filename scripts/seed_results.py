"""Every accuracy the README or a test states, measured over several seeds.

    python scripts/seed_results.py                 # all recipes, seeds 0-4
    python scripts/seed_results.py --seeds 0 1 2 --only digits-cnn mnist1d-mlp

Float32 results differ between BLAS kernels (OpenBLAS picks Haswell, SkylakeX or Zen
kernels by CPU), so a long run drifts from machine to machine the way it drifts from seed
to seed. A claim should hold over seeds with a margin, and a test threshold sits below the
worst seed seen. This script prints, per recipe, every seed's test result, the mean, the
spread and the worst, with the CPU and BLAS kernel it ran on, and writes them to
``scripts/results/seed_results.json``. It may be run under another kernel family with
``OPENBLAS_CORETYPE=Haswell python scripts/seed_results.py`` (never set in tests or CI).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

# name -> the `abinitio train` arguments (the seed is added per run)
RECIPES = {
    "digits-cnn": [],
    "digits-mlp": ["--model", "mlp"],
    "mnist1d-mlp": ["--dataset", "mnist1d", "--model", "mlp"],
    # the MNIST-1D repository's plain recipe (Adam, no regularisation), for comparison
    "mnist1d-mlp-plain": ["--dataset", "mnist1d", "--model", "mlp", "--dropout", "0",
                          "--optimizer", "adam", "--weight-decay", "0"],  # fmt: skip
    "mnist1d-mlp-regularised": ["--dataset", "mnist1d", "--model", "mlp", "--dropout", "0.2",
                                "--optimizer", "adamw", "--weight-decay", "0.05"],  # fmt: skip
    "mnist1d-cnn": ["--dataset", "mnist1d", "--model", "cnn"],
    "mnist1d-gru": ["--dataset", "mnist1d", "--model", "gru"],
}


def machine() -> dict:
    import numpy  # noqa: F401  (loads OpenBLAS, so that threadpoolctl can see it)
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
            for i in threadpool_info() if i.get("user_api") == "blas"]  # fmt: skip
    return {"cpu": cpu, "blas": blas, "python": platform.python_version()}


def run(arguments: list[str], seed: int) -> tuple[float, float]:
    from abinitio.cli import main

    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        argv = ["train", *arguments, "--seed", str(seed), "--out", out, "--no-progress"]
        if main(argv) != 0:
            raise RuntimeError(f"abinitio {' '.join(argv)} failed")
        seconds = time.perf_counter() - start
        metrics = json.loads((Path(out) / "metrics.json").read_text())
    return metrics["test_accuracy"], seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--only", nargs="+", choices=sorted(RECIPES), default=list(RECIPES))
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "seed_results.json"))
    args = parser.parse_args(argv)
    results = {"machine": machine(), "recipes": {}}
    print(results["machine"], flush=True)
    for name in args.only:
        accuracies, seconds = [], []
        for seed in args.seeds:
            accuracy, took = run(RECIPES[name], seed)
            accuracies.append(accuracy)
            seconds.append(took)
            print(f"  {name} seed {seed}: {accuracy:.2%} in {took:.0f} s", flush=True)
        summary = {
            "args": RECIPES[name], "seeds": args.seeds, "test_accuracy": accuracies,
            "mean": statistics.mean(accuracies),
            "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
            "min": min(accuracies), "max": max(accuracies),
            "median_seconds": statistics.median(seconds),
        }  # fmt: skip
        results["recipes"][name] = summary
        print(f"{name:<18} mean {summary['mean']:.2%} ± {summary['std']:.2%} "
              f"(min {summary['min']:.2%}, max {summary['max']:.2%})", flush=True)  # fmt: skip
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
