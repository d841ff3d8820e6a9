"""The README's results for the bundled tables: ``abinitio train --dataset NAME`` with its
recipe over several seeds, against the scikit-learn baselines trained in the same runs.

    python scripts/tabular_results.py [--seeds 5] [--datasets breast_cancer,diabetes,...]
           [--california PATH] [--images]

Prints one markdown row per data set: the network's test metric over the seeds (min,
median, max) and each baseline's median. The test split is the same for every seed
(seed 0, 20%); the seed changes the validation split, the initial weights and the
shuffling (and so the rows the baselines train on).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time

import numpy as np

from abinitio.cli.train import resolve_config, train


def run(dataset: str, seed: int, **options) -> dict:
    out = tempfile.mkdtemp() + "/run"
    config = resolve_config({"dataset": dataset, "seed": seed, "out": out, **options})
    with contextlib.redirect_stdout(io.StringIO()):
        return train(config, progress=False, log=lambda message: None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", default="breast_cancer,diabetes,wine,iris")
    parser.add_argument("--california", help="path to cal_housing.tgz (not bundled)")
    parser.add_argument("--images", action="store_true",
                        help="also the test's image folder: digits 0-2 as 16x16 PNGs, 60 each")
    args = parser.parse_args()
    if args.images:
        return image_folder(args.seeds)
    datasets = args.datasets.split(",")
    if args.california:
        datasets.append(f"california_housing:{args.california}")
    print("| data set | metric | abinitio TabularMLP (min / median / max) | baselines (median) "
          "| seconds per run |")  # fmt: skip
    print("|---|---|---|---|---|")
    for dataset in datasets:
        results, started = [], time.perf_counter()
        for seed in range(args.seeds):
            results.append(run(dataset, seed))
        seconds = (time.perf_counter() - started) / args.seeds
        key = "test_accuracy" if "test_accuracy" in results[0] else "test_r2"
        ours = np.array([r[key] for r in results])
        names = list(results[0]["baselines"])
        base = {n: np.median([r["baselines"][n][key] for r in results]) for n in names}
        fmt = "{:.2%}" if key == "test_accuracy" else "{:.3f}"
        spread = " / ".join(fmt.format(v) for v in (ours.min(), np.median(ours), ours.max()))
        baselines = ", ".join(f"{n} {fmt.format(v)}" for n, v in base.items())
        metric = "accuracy" if key == "test_accuracy" else "R^2"
        print(f"| {dataset.split(':')[0]} | {metric} | {spread} | {baselines} | {seconds:.0f} |",
              flush=True)


def image_folder(seeds: int) -> None:
    """The image-folder test's run (tests/cli/test_tabular_command.py) over seeds."""
    import os

    from PIL import Image
    from sklearn.datasets import load_digits

    root, digits = tempfile.mkdtemp(), load_digits()
    for k in range(3):
        os.makedirs(f"{root}/digit{k}")
        for i, pixels in enumerate(digits.images[digits.target == k][:60]):
            picture = Image.fromarray((pixels * 15.9).astype(np.uint8)).resize((16, 16))
            picture.save(f"{root}/digit{k}/{i}.png")
    started = time.perf_counter()
    options = {"image_size": 12, "epochs": 10, "batch_size": 16, "lr": 1e-3}
    accuracy = [run(f"images:{root}", seed, **options)["test_accuracy"] for seed in range(seeds)]
    seconds = (time.perf_counter() - started) / seeds
    print("per seed:", " ".join(f"{a:.2%}" for a in accuracy))
    print("| images (digits 0-2, 180 PNGs, cnn, 12x12, 10 epochs, batch 16, lr 1e-3) | accuracy | "
          f"{min(accuracy):.2%} / {np.median(accuracy):.2%} / {max(accuracy):.2%} | - | "
          f"{seconds:.0f} |")


if __name__ == "__main__":
    main()
