"""Spiking networks on the digits (sklearn 8x8, rate coded, 25 steps) or MNIST-1D: test
accuracy per seed for the fully connected LIF network (``snn``) and the convolutional one
(``csnn``), built and trained exactly as ``abinitio train --model snn|csnn`` builds them
(the data set's recipe: epochs, lr, encoding, surrogate), one JSON line per seed.

    nice -n 10 python scripts/snn_digits.py --model snn --seeds 0 1 2 3 4 [--epochs 30]
    python scripts/snn_digits.py --model csnn --dataset mnist1d --output csnn_mnist1d.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli.options import TrainConfig
from abinitio.cli.registry import build_model, recipe
from abinitio.data import DataLoader, TensorDataset, datasets


def run(model_name: str, dataset: str, seed: int, overrides: dict, log_every: int = 5) -> float:
    data = datasets.digits() if dataset == "digits" else datasets.mnist1d()
    config = TrainConfig(model=model_name, dataset=dataset, seed=seed).merged(overrides)
    config = config.with_recipe(recipe(dataset, model_name))
    epochs = config.epochs
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
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist1d"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, help="default: the recipe's")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--surrogate")
    parser.add_argument("--encoding", choices=["rate", "latency", "direct"])
    parser.add_argument("--beta", type=float)
    parser.add_argument("--time-steps", type=int)
    parser.add_argument("--output", help="append one JSON line per seed to this file")
    args = parser.parse_args()
    overrides = {"lr": args.lr, "surrogate": args.surrogate, "epochs": args.epochs,
                 "encoding": args.encoding, "beta": args.beta,
                 "time_steps": args.time_steps}  # fmt: skip
    results = []
    for seed in args.seeds:
        started = time.perf_counter()
        accuracy = run(args.model, args.dataset, seed, overrides)
        results.append(accuracy)
        record = {"model": args.model, "dataset": args.dataset, "seed": seed,
                  "accuracy": accuracy, "seconds": time.perf_counter() - started,
                  **{k: v for k, v in overrides.items() if v is not None}}  # fmt: skip
        if args.output:
            with open(args.output, "a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")
    print(f"{args.model} on {args.dataset}: mean {np.mean(results):.2%} ± "
          f"{np.std(results):.2%}, worst {np.min(results):.2%} "
          f"over seeds {args.seeds}")  # fmt: skip


if __name__ == "__main__":
    main()
