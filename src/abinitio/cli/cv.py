"""``abinitio cv``: k-fold cross-validation of a training recipe.

The data set's training split is cut into k stratified folds; k copies of the model are
trained, each on k-1 folds and scored on the fold it never saw. The k held-out scores
estimate how the recipe generalises, and their spread says how far to trust one split.
The test split is not used. Every fold also records its held-out loss after each epoch
(for the report's curves); it is only watched, never used to stop or to choose.

Writes ``cv.json`` (per-fold scores, means, standard deviations) and ``report.html``
(per-fold curves, a box plot of fold scores, train against held-out) in ``--out``.
"""

from __future__ import annotations

import os
import time

import numpy as np

from abinitio.cli import registry
from abinitio.cli.options import TrainConfig, UsageError

METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "neg_log_loss")


def add_parser(commands) -> None:
    cv = commands.add_parser("cv", help="k-fold cross-validation of a training recipe")
    cv.add_argument("--dataset", default="digits", help="digits (default), mnist1d, moons, ...")
    cv.add_argument("--model", help="mlp, cnn, ... (the data set's default)")
    cv.add_argument("--folds", type=int, default=5, help="k of k-fold (default 5)")
    for name, kind in (("epochs", int), ("batch-size", int), ("lr", float),
                       ("weight-decay", float), ("dropout", float), ("layers", int),
                       ("width", int)):  # fmt: skip
        cv.add_argument(f"--{name}", type=kind)
    cv.add_argument("--optimizer", help="sgd, adam, adamw or rmsprop")
    cv.add_argument("--seed", type=int, default=0)
    cv.add_argument("--jobs", type=int, default=1, help="folds trained in parallel processes")
    cv.add_argument("--config", metavar="FILE.toml", help="options from a TOML file")
    cv.add_argument("--out", help="report folder (default runs/cv-<dataset>-<model>-<time>)")


def estimator_for(config: TrainConfig, data):
    """The :class:`~abinitio.sklearn.NeuralNetClassifier` that trains what
    ``abinitio train`` would build from ``config`` (same model, optimiser, epochs)."""
    from abinitio import random as ab_random
    from abinitio.sklearn import NeuralNetClassifier

    state = ab_random.get_rng_state()
    ab_random.manual_seed(config.seed)  # the initial weights abinitio train starts from
    try:
        model = registry.build_model(config, data)  # a bad model/data pair fails here
    finally:
        ab_random.set_rng_state(state)
    optimizer_class, options = OPTIMIZER_CLASSES[config.optimizer]
    routed = {f"optimizer__{k}": v for k, v in options.items()}
    return NeuralNetClassifier(model, optimizer=optimizer_class, lr=config.lr,
                               max_epochs=config.epochs, batch_size=config.batch_size,
                               random_state=config.seed,
                               optimizer__weight_decay=config.weight_decay,
                               **routed)  # fmt: skip


def _optimizer_classes() -> dict:
    from abinitio import optim

    return {"sgd": (optim.SGD, {"momentum": 0.9}), "adam": (optim.Adam, {}),
            "adamw": (optim.AdamW, {}), "rmsprop": (optim.RMSprop, {})}  # fmt: skip


OPTIMIZER_CLASSES = _optimizer_classes()  # registry.OPTIMIZERS' choices, as classes


def training_arrays(data):
    """The training split as scikit-learn wants it: float32 X (images keep (C, H, W))."""
    return data.x_train, data.y_train


def resolve(args) -> TrainConfig:
    """The recipe for --dataset/--model, the config file, then the options given."""
    from abinitio.cli.train import resolve_config

    if args.folds < 2:
        raise UsageError(f"--folds must be at least 2, got {args.folds}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if registry.dataset_name(args.dataset) == "text":
        raise UsageError(
            "abinitio cv cross-validates classifiers; --dataset text is a language model"
        )
    names = ("model", "dataset", "epochs", "batch_size", "lr", "optimizer", "weight_decay",
             "dropout", "layers", "width", "seed")  # fmt: skip
    options = {name: getattr(args, name, None) for name in names}
    return resolve_config(options, getattr(args, "config", None))


def cross_validate_recipe(config: TrainConfig, data, folds: int = 5, jobs: int = 1,
                          log=print) -> dict:  # fmt: skip
    """Train and score ``folds`` clones; per-fold scores and held-out curves."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    estimator = estimator_for(config, data)
    x, y = training_arrays(data)
    counts = np.bincount(y)
    if counts[counts > 0].min() < folds:
        raise UsageError(
            f"--folds {folds}: the rarest class has only {counts[counts > 0].min()} samples"
        )
    splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
    started = time.perf_counter()
    runs = Parallel(n_jobs=jobs)(
        delayed(_fold)(estimator, x, y, train, test) for train, test in splitter.split(x, y)
    )
    scores = {f"{split}_{m}": [run[split][m] for run in runs] for split in ("train", "test")
              for m in METRICS}  # fmt: skip
    summary = {name: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1))}
               for name, v in scores.items()}  # fmt: skip
    result = {"config": config.as_dict(), "folds": folds, "scores": scores,
              "summary": summary, "histories": [run["history"] for run in runs],
              "seconds": time.perf_counter() - started}  # fmt: skip
    return result


class _HeldOutFold:
    """train_split for one fold: train on its rows, report the held-out loss per epoch."""

    def __init__(self, train, test) -> None:
        self.train, self.test = train, test

    def __call__(self, x, y):
        return self.train, self.test


def _fold(estimator, x, y, train, test) -> dict:
    from sklearn.base import clone
    from sklearn.metrics import get_scorer

    net = clone(estimator).set_params(train_split=_HeldOutFold(train, test))
    net.fit(x, y)
    scores = {}
    for split, rows in (("train", train), ("test", test)):
        scores[split] = {m: float(get_scorer(m)(net, x[rows], y[rows])) for m in METRICS}
    return {**scores, "history": net.history_}


def format_summary(result: dict) -> str:
    lines = [f"{'metric':<18} {'held-out folds':>20} {'training folds':>20}"]
    for metric in METRICS:
        test, train = result["summary"][f"test_{metric}"], result["summary"][f"train_{metric}"]
        lines.append(f"{metric:<18} {test['mean']:>12.4f} ± {test['std']:.4f} "
                     f"{train['mean']:>12.4f} ± {train['std']:.4f}")  # fmt: skip
    return "\n".join(lines)


def cv(args) -> int:
    config = resolve(args)
    data = registry.load_dataset(config.dataset)
    out = args.out or os.path.join(
        "runs", f"cv-{registry.dataset_name(config.dataset)}-{config.model}-"
        f"{time.strftime('%Y%m%d-%H%M%S')}"
    )  # fmt: skip
    print(f"{args.folds}-fold cross-validation of {config.model} on {config.dataset} "
          f"({len(data.y_train)} training samples; the test split is not used)")  # fmt: skip
    result = cross_validate_recipe(config, data, args.folds, args.jobs)
    os.makedirs(out, exist_ok=True)
    from abinitio.cli.train import write_json

    write_json(os.path.join(out, "cv.json"), result)
    write_cv_report(os.path.join(out, "report.html"), config, result)
    print(format_summary(result))
    print(f"({result['seconds']:.1f} s) report: {os.path.join(out, 'report.html')}")
    return 0


def write_cv_report(path: str, config: TrainConfig, result: dict) -> str:
    import matplotlib.pyplot as plt

    from abinitio.viz.report import Section, write_report

    curves, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for k, history in enumerate(result["histories"], 1):
        epochs = [r["epoch"] for r in history]
        line = axes[0].plot(epochs, [r["train_loss"] for r in history], alpha=0.8)[0]
        axes[0].plot(epochs, [r["val_loss"] for r in history], "--", color=line.get_color(),
                     label=f"fold {k}")  # fmt: skip
        axes[1].plot(epochs, [r["val_accuracy"] for r in history], color=line.get_color())
    axes[0].set(xlabel="epoch", ylabel="loss", title="training (solid) and held-out (dashed)")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[1].set(xlabel="epoch", ylabel="held-out accuracy", title="held-out fold accuracy")
    curves.tight_layout()
    box, ax = plt.subplots(figsize=(10, 3.8))
    names = [m for m in METRICS if m != "neg_log_loss"]
    data = [result["scores"][f"{s}_{m}"] for m in names for s in ("train", "test")]
    ax.boxplot(data, tick_labels=[f"{m}\n{s}" for m in names for s in ("train", "held-out")])
    ax.set(ylabel="score", title=f"fold scores ({result['folds']} folds)")
    box.tight_layout()
    summary = {"model": config.model, "dataset": config.dataset, "folds": result["folds"],
               "epochs": config.epochs, "optimizer": f"{config.optimizer} (lr {config.lr:g})",
               "seed": config.seed, "seconds": f"{result['seconds']:.1f}"}  # fmt: skip
    for metric in METRICS:
        test = result["summary"][f"test_{metric}"]
        summary[f"held-out {metric}"] = f"{test['mean']:.4f} ± {test['std']:.4f}"
    sections = [Section("Per-fold curves", figure=curves),
                Section("Fold scores", figure=box, text=format_summary(result))]  # fmt: skip
    try:
        return write_report(path, title=f"cross-validation: {config.model} on {config.dataset}",
                            summary=summary, history=[], extra_sections=sections)  # fmt: skip
    finally:
        plt.close(curves)
        plt.close(box)
