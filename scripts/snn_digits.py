"""Spiking networks on the digits (sklearn 8x8), rate coded, 25 steps: test accuracy per
seed for the 64-128-10 LIF network (``snn``) and the convolutional one (``csnn``), built
exactly as ``abinitio train --model snn|csnn`` builds them.

    python scripts/snn_digits.py --model snn --seeds 0 1 2 [--epochs 30] [--surrogate atan]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli.options import TrainConfig
from abinitio.cli.registry import build_model, recipe
from abinitio.data import DataLoader, TensorDataset, datasets


def run(model_name: str, seed: int, epochs: int, overrides: dict, log_every: int = 5) -> float:
    data = datasets.digits()
    config = TrainConfig(model=model_name, dataset="digits", seed=seed).merged(overrides)
    config = config.with_recipe(recipe("digits", model_name))
    ab.manual_seed(seed)
    model = build_model(config, data)
    optimizer = ab.optim.Adam(model.parameters(), lr=config.lr)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=config.batch_size,
                        shuffle=True)  # fmt: skip
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        if epoch % log_every == 0 or epoch == epochs:
            model.eval()
            with ab.no_grad():
                predictions = model(ab.tensor(data.x_test)).numpy().argmax(-1)
            accuracy = float(np.mean(predictions == data.y_test))
            print(f"  seed {seed} epoch {epoch}: test accuracy {accuracy:.2%} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="snn", choices=["snn", "csnn"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--surrogate")
    args = parser.parse_args()
    overrides = {"lr": args.lr, "surrogate": args.surrogate}
    results = [run(args.model, seed, args.epochs, overrides) for seed in args.seeds]
    print(f"{args.model}: mean {np.mean(results):.2%}, worst {np.min(results):.2%} "
          f"over seeds {args.seeds}")  # fmt: skip


if __name__ == "__main__":
    main()
