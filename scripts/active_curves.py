"""Learning curves of every query strategy, 5 seeds, on the digits and on MNIST-1D.

The same loop as ``abinitio active``: 20 random labels to start, 10 more per round, 30
rounds (310 labels), a fresh MLP (64 or 40 -> 128 -> 10, dropout 0.25) trained for 200
Adam steps after each round; test accuracy on the held-out split after each round.

    python scripts/active_curves.py [--dataset digits|mnist1d|both] [--seeds 5]
                                    [--strategies random,margin,...] [--out results.json]
    python scripts/active_curves.py --merge a.json b.json     # tables of split runs

Prints, per data set: each strategy's mean accuracy (and spread) at 50, 100, 180 and 300
labels, and the labels it needs to reach random sampling's final accuracy (310 labels).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from abinitio.active import STRATEGIES, curve_summary, labels_to_reach, simulate
from abinitio.active.simulate import default_model_fn, pool_and_test
from abinitio.data import datasets


def run(name: str, strategies, seeds: int, rounds: int = 30) -> dict:
    data = getattr(datasets, name)()
    x_pool, x_test = pool_and_test(data)
    model_fn = default_model_fn(x_pool.shape[1], data.num_classes)
    summaries = {}
    for strategy in strategies:
        started = time.perf_counter()
        histories = [simulate(strategy, x_pool, data.y_train, x_test, data.y_test,
                              model_fn=model_fn, num_classes=data.num_classes, n_initial=20,
                              n_instances=10, rounds=rounds, seed=seed)
                     for seed in range(seeds)]  # fmt: skip
        summaries[strategy] = curve_summary(histories)
        summaries[strategy]["seconds"] = time.perf_counter() - started
        print(f"  {name} {strategy}: {summaries[strategy]['seconds']:.0f} s", flush=True)
    return summaries


def table(name: str, summaries: dict) -> None:
    if "random" not in summaries:
        print(f"\n{name}: no random baseline among {', '.join(summaries)}")
        return
    target = summaries["random"]["mean"][-1]
    columns = [50, 100, 180, 300]
    last = summaries["random"]["labels"][-1]
    print(f"\n{name}: mean +- std over seeds; random reaches {target:.1%} at {last} labels")
    print(f"{'strategy':<17}" + "".join(f"{c:>15}" for c in columns) + "   labels to reach it")
    for strategy, summary in summaries.items():
        cells = ""
        for c in columns:
            i = summary["labels"].index(c)
            cells += f"{summary['mean'][i]:>9.1%} +-{summary['std'][i]:>4.1%}"
        reach = labels_to_reach(summary, target)
        print(f"{strategy:<17}{cells}   {reach if reach is not None else 'never'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="both", choices=["digits", "mnist1d", "both"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", help="write every curve as JSON here")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="only print the tables of earlier --out files, merged")  # fmt: skip
    args = parser.parse_args()
    if args.merge:  # runs split over several processes (one per strategy group)
        merged = {}
        for path in args.merge:
            with open(path, encoding="utf-8") as file:
                for name, summaries in json.load(file).items():
                    merged.setdefault(name, {}).update(summaries)
        for name, summaries in merged.items():
            order = [s for s in STRATEGIES if s in summaries]
            table(name, {s: summaries[s] for s in order})
        return
    strategies = args.strategies.split(",")
    names = ["digits", "mnist1d"] if args.dataset == "both" else [args.dataset]
    results = {}
    for name in names:
        results[name] = run(name, strategies, args.seeds)
        table(name, results[name])
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            json.dump(results, file, default=float)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
