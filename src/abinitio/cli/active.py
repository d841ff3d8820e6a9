"""``abinitio active``: active learning from the command line.

Simulated (the labels are known and revealed only when asked for), comparing strategies::

    abinitio active --dataset digits --strategy entropy,margin,bald --initial 20 --query 10
                    --rounds 30 --seeds 5

writes ``curves.json`` and ``report.html`` (every strategy's mean curve and spread on one
plot, against random sampling, and the samples each one chose) to ``--out``.

With a person as the oracle, on your own unlabelled pool (an ``.npy`` array)::

    abinitio active --pool images.npy --classes cat,dog --oracle prompt --out session/
    abinitio active --pool images.npy --classes cat,dog --oracle file --out session/

``prompt`` asks for each label at the terminal (``q`` stops); ``file`` writes
``session/to_label.csv`` for you to fill in and reads it on the next run. Either way the
session is saved after every answer and the next run with the same ``--out`` continues.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from abinitio.cli.options import UsageError

DATASETS = ("digits", "mnist1d")


def add_parser(commands) -> None:
    active = commands.add_parser("active", help="active learning: compare query strategies, "
                                 "or label your own pool")  # fmt: skip
    active.add_argument("--dataset", help=f"simulate on {' or '.join(DATASETS)} (default digits)")
    active.add_argument("--strategy", default="entropy",
                        help="a strategy, a comma-separated list, or 'all' (random is always "
                        "run as the baseline)")  # fmt: skip
    active.add_argument("--initial", type=int, default=20, help="random labels to start with")
    active.add_argument("--query", type=int, default=10, help="labels asked for per round")
    active.add_argument("--rounds", type=int, default=30, help="rounds, the first included")
    active.add_argument("--seeds", type=int, default=5, help="simulate: seeds per strategy")
    active.add_argument("--steps", type=int, default=200, help="training steps per round")
    active.add_argument("--lr", type=float, default=3e-3)
    active.add_argument("--out", help="output directory (a session's state, or the report)")
    active.add_argument("--pool", metavar="FILE.npy", help="your unlabelled samples")
    active.add_argument("--classes", help="your class names, comma-separated")
    active.add_argument("--oracle", default="prompt", help="prompt or file (with --pool)")


def run(args) -> int:
    _check_counts(args)
    if args.pool:
        return _session(args)
    return _simulate(args)


def _check_counts(args) -> None:
    for name in ("initial", "query", "rounds", "seeds", "steps"):
        value = getattr(args, name)
        if value < 1:
            raise UsageError(f"--{name} must be a positive integer, got {value}")
    if not args.lr > 0:
        raise UsageError(f"--lr must be a positive number, got {args.lr}")


def _strategies(text: str, single: bool = False) -> list[str]:
    from abinitio.active import STRATEGIES

    names = list(STRATEGIES) if text == "all" else [s.strip() for s in text.split(",") if s]
    unknown = [name for name in names if name not in STRATEGIES]
    if unknown or not names:
        raise UsageError(
            f"unknown strategy {', '.join(unknown) or text!r}; choose from: "
            f"{', '.join(STRATEGIES)} (or 'all')"
        )
    if single and len(names) != 1:
        raise UsageError(f"a labelling session uses one strategy, got --strategy {text}")
    return names


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


# ---- simulated: learning curves of several strategies --------------------------------------
def _simulate(args) -> int:
    from abinitio.active import curve_summary, labels_to_reach, simulate
    from abinitio.active.simulate import default_model_fn, pool_and_test
    from abinitio.cli import registry

    dataset = args.dataset or "digits"
    if dataset not in DATASETS:
        raise UsageError(f"active: --dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
    names = ["random"] + [n for n in _strategies(args.strategy) if n != "random"]
    data = registry.load_dataset(dataset)
    x_pool, x_test = pool_and_test(data)
    needed = args.initial + args.query * (args.rounds - 1)
    if needed > len(x_pool):
        raise UsageError(
            f"--initial {args.initial} + --query {args.query} x {args.rounds - 1} more rounds "
            f"= {needed} labels, but the {dataset} pool has only {len(x_pool)} samples"
        )
    model_fn = default_model_fn(x_pool.shape[1], data.num_classes)
    out = args.out or os.path.join("runs", f"active-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    histories, summaries = {}, {}
    for name in names:
        started = time.perf_counter()
        histories[name] = [
            simulate(name, x_pool, data.y_train, x_test, data.y_test, model_fn=model_fn,
                     num_classes=data.num_classes, n_initial=args.initial,
                     n_instances=args.query, rounds=args.rounds, seed=seed, steps=args.steps,
                     lr=args.lr, log=print if seed == 0 and name == "random" else None)
            for seed in range(args.seeds)
        ]  # fmt: skip
        summaries[name] = curve_summary(histories[name])
        final = summaries[name]["mean"][-1]
        print(f"{name:<17} {final:.2%} at {summaries[name]['labels'][-1]} labels "
              f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    target = summaries["random"]["mean"][-1]
    reach = {name: labels_to_reach(summaries[name], target) for name in names}
    _print_table(summaries, reach, target)
    results = {"dataset": dataset, "initial": args.initial, "query": args.query,
               "rounds": args.rounds, "seeds": args.seeds, "steps": args.steps,
               "random_final_accuracy": target, "labels_to_reach_random": reach,
               "summaries": summaries, "histories": histories}  # fmt: skip
    with open(os.path.join(out, "curves.json"), "w", encoding="utf-8") as file:
        json.dump(results, file)
    path = _write_report(out, dataset, data, x_pool, histories, summaries, reach, args)
    print(f"\nwrote {os.path.join(out, 'curves.json')} and {path}")
    return 0


def _print_table(summaries, reach, target) -> None:
    labels = summaries["random"]["labels"]
    columns = sorted({labels[0], labels[len(labels) // 3], labels[2 * len(labels) // 3],
                      labels[-1]})  # fmt: skip
    header = f"\n{'strategy':<17}" + "".join(f"{n:>9}" for n in columns)
    print(header + f"   labels to reach random's {target:.2%}")
    for name, summary in summaries.items():
        row = "".join(f"{summary['mean'][summary['labels'].index(n)]:>9.2%}" for n in columns)
        print(f"{name:<17}{row}   {reach[name] if reach[name] is not None else 'never'}")


def _write_report(out, dataset, data, x_pool, histories, summaries, reach, args) -> str:
    from abinitio.active.plots import plot_learning_curves, plot_queried
    from abinitio.viz import Section, write_report

    ax = plot_learning_curves(summaries, title=f"{dataset}: mean and spread over "
                              f"{args.seeds} seed(s)")  # fmt: skip
    sections = [Section("Learning curves", figure=ax.figure)]
    for name, runs in histories.items():
        queried = [i for record in runs[0][1:] for i in record["queried"]]
        classes = [data.classes[data.y_train[i]] for i in queried]
        counts = np.bincount(data.y_train[queried], minlength=data.num_classes) if queried else []
        figure = plot_queried(x_pool[queried], classes,
                              f"{name}: the first queries of seed 0 (titled by label)")  # fmt: skip
        spread = ", ".join(f"{c}: {n}" for c, n in zip(data.classes, counts))
        sections.append(Section(f"Chosen by {name}", figure=figure,
                                text=f"labels queried per class (seed 0): {spread}"))  # fmt: skip
    summary = {"dataset": dataset, "strategies": ", ".join(summaries),
               "initial labels": args.initial, "query batch": args.query,
               "rounds": args.rounds, "seeds": args.seeds,
               "random's final accuracy": f"{summaries['random']['mean'][-1]:.2%}"}  # fmt: skip
    summary.update({f"labels for {n} to reach it": v for n, v in reach.items()})
    path = os.path.join(out, "report.html")
    write_report(path, title=f"Active learning on {dataset}", summary=summary, history=[],
                 extra_sections=sections)  # fmt: skip
    return path


# ---- a labelling session with a person as the oracle ---------------------------------------
def _session(args) -> int:
    from abinitio import save
    from abinitio.active import ActiveLoop, FileOracle, PromptOracle
    from abinitio.active.simulate import default_model_fn, make_learner

    if args.dataset:
        raise UsageError("--pool labels your own data; leave out --dataset (it simulates)")
    if not os.path.exists(args.pool):
        raise UsageError(f"--pool {args.pool!r} does not exist")
    try:
        pool = _flat(np.load(args.pool, allow_pickle=False))
    except ValueError as error:
        raise UsageError(f"--pool {args.pool!r} is not a NumPy .npy array: {error}") from None
    classes = [c.strip() for c in (args.classes or "").split(",") if c.strip()]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise UsageError(f"--classes needs two or more distinct names, got {args.classes!r}")
    if not args.out:
        raise UsageError("a labelling session needs --out DIR (where it is saved)")
    for name in ("initial", "query"):
        if getattr(args, name) > len(pool):
            raise UsageError(
                f"--{name} {getattr(args, name)} is larger than the pool ({len(pool)} samples)"
            )
    strategy = _strategies(args.strategy, single=True)[0]
    if args.oracle == "prompt":
        oracle = PromptOracle(classes)
    elif args.oracle == "file":
        oracle = FileOracle(os.path.join(args.out, "to_label.csv"), classes)
    else:
        raise UsageError(f"--oracle must be prompt or file, got {args.oracle!r}")
    learner = make_learner(strategy, default_model_fn(pool.shape[1], len(classes)),
                           len(classes), steps=args.steps, lr=args.lr)  # fmt: skip
    loop = ActiveLoop(learner, pool, oracle, n_instances=args.query, n_initial=args.initial,
                      num_classes=len(classes), state_dir=args.out)  # fmt: skip
    loop.run(args.rounds)
    counts = np.bincount(np.array(loop.labels, dtype=np.int64), minlength=len(classes))
    print(f"{len(loop.labels)} labelled ({', '.join(f'{c}: {n}' for c, n in zip(classes, counts))}"
          f"), {len(loop.pending)} pending, {loop.round} of {args.rounds} rounds done")  # fmt: skip
    if args.oracle == "file" and loop.pending:
        print(f"fill in the label column of {oracle.path}, then run the same command again")
    if loop.labels:
        estimator = getattr(learner, "estimator", None) or learner.learners[0].estimator
        save(estimator.model.state_dict(), os.path.join(args.out, "model.safetensors"))
    return 0
