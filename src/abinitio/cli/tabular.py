"""``abinitio train --dataset csv:FILE --target COLUMN`` (and the bundled tables), and
``abinitio predict RUN_DIR new.csv``.

A tabular run: read the table, infer each column's kind (printed; ``--categorical``,
``--numeric``, ``--embed``, ``--drop`` override it), hold out a fixed test split (seed 0,
20%, stratified for classification) and a validation split (``--val-fraction``, seeded by
``--seed``), fit the preprocessing on the remaining training rows only, save it as
``preprocessing.json``, train a :class:`~abinitio.models.TabularMLP`, and compare it with
scikit-learn baselines trained on the same rows and features in the same run. The run
directory holds what every run holds (config, model, checkpoint, metrics, report) plus
``preprocessing.json``; ``abinitio predict`` re-applies that file exactly.

Image folders (``--dataset images:DIR``) are handled by :mod:`abinitio.cli.images`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli.options import UsageError
from abinitio.data import tabular
from abinitio.data.datasets import tables

PREPROCESSING_NAME = "preprocessing.json"
TABLE_SETS = {"breast_cancer": tables.breast_cancer, "diabetes": tables.diabetes,
              "wine": tables.wine, "iris": tables.iris}  # fmt: skip
LOCAL_TABLES = {"california_housing": tables.california_housing}
TASKS = ("classification", "regression")
LOSSES = {"mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss}
TEST_FRACTION, SPLIT_SEED = 0.2, 0  # the test split is the same for every --seed

# the recipes of the data sets this module trains (added to registry.RECIPES): measured
# in scripts/tabular_results.py over seeds 0-4 (see the README)
TABULAR_RECIPES = {
    "csv": {"epochs": 100, "lr": 3e-3, "weight_decay": 1e-4},
    # test accuracy 95.6-97.3% over seeds 0-4 (median 97.3%), LogisticRegression 94.7-96.5%;
    # two hidden layers of 64 for 30 epochs: median 96.5%
    "breast_cancer": {"epochs": 40, "lr": 1e-3, "weight_decay": 1e-2, "dropout": 0.3,
                      "layers": 1, "width": 32},
    # a nearly linear problem on 319 rows: a narrow, heavily regularised network beside
    # its linear path; R^2 0.522-0.528 over seeds 0-3, Ridge 0.519-0.525 on the same rows
    "diabetes": {"epochs": 60, "lr": 3e-3, "optimizer": "adamw", "weight_decay": 1.0,
                 "batch_size": 32, "dropout": 0.5, "layers": 1, "width": 8},
    "wine": {"epochs": 80, "lr": 3e-3},
    "iris": {"epochs": 100, "lr": 1e-2, "batch_size": 16},
    "california_housing": {"epochs": 30, "lr": 3e-3, "batch_size": 256},
    "images": {"epochs": 15, "lr": 3e-3},
}
TABULAR_DEFAULT_MODELS = {name: "mlp" for name in ("csv", *TABLE_SETS, *LOCAL_TABLES)}
DATASET_NAMES = ["csv:FILE", *TABLE_SETS, "california_housing:PATH", "images:DIR"]


def handles(spec: str) -> bool:
    """Is ``--dataset spec`` a table or an image folder (this module's job)?"""
    name = spec.partition(":")[0]
    return name in ("csv", "images", *TABLE_SETS, *LOCAL_TABLES)


def handles_run(run_dir: str) -> bool:
    return os.path.exists(os.path.join(run_dir, PREPROCESSING_NAME))


def train_own_data(config, run_dir=None, resume=False, progress=True, log=print) -> dict:
    """``abinitio train`` for a table or an image folder (the hook in cli/train.py)."""
    if config.dataset.partition(":")[0] == "images":
        from abinitio.cli.images import train_images

        return train_images(config, run_dir, resume, progress, log)
    return train_table(config, run_dir, resume, progress, log)


# ---- options ------------------------------------------------------------------------------
def check_options(config) -> None:
    """The tabular options, refused before any work with what was expected and what came."""
    if config.task is not None and config.task not in TASKS:
        raise UsageError(f"--task must be classification or regression, got {config.task!r}")
    if config.loss is not None and config.loss not in LOSSES:
        raise UsageError(f"--loss must be one of {', '.join(LOSSES)}, got {config.loss!r}")
    if config.model not in ("mlp", None):
        raise UsageError(f"--model {config.model}: tables train an mlp (TabularMLP), not that")


def load_table(spec: str) -> tabular.Table:
    name, _, argument = spec.partition(":")
    try:
        if name == "csv":
            if not argument:
                raise UsageError("--dataset csv needs a file: csv:FILE")
            return tabular.read_csv(argument)
        if name in LOCAL_TABLES:
            if not argument:
                raise UsageError(
                    f"--dataset {name} is not bundled with scikit-learn (it downloads it): "
                    f"give a local copy, {name}:PATH to cal_housing.tgz"
                )
            return LOCAL_TABLES[name](argument)
        return TABLE_SETS[name]()
    except (FileNotFoundError, ValueError) as error:
        if isinstance(error, UsageError):
            raise
        raise UsageError(f"--dataset {spec}: {error}") from None


@dataclasses.dataclass
class TableData:
    """A tabular run's data: the table, its splits and features, and how they were made."""

    table: tabular.Table
    target: str
    task: str
    classes: list | None
    preprocessor: tabular.TabularPreprocessor
    rows: dict  # split name -> row indices into table
    x: dict  # split name -> (N, features) float32
    y: dict  # split name -> int64 labels or float32 values

    @property
    def num_outputs(self) -> int:
        return len(self.classes) if self.task == "classification" else 1

    def state(self) -> dict:
        return {**self.preprocessor.state_dict(), "target": self.target, "task": self.task,
                "classes": self.classes, "feature_names": self.preprocessor.feature_names,
                "rows": {k: len(v) for k, v in self.rows.items()}}  # fmt: skip


def prepare(config, saved_state: dict | None = None, log=print) -> TableData:
    """Read, split and encode the table; fit the preprocessing on the training rows (or
    take ``saved_state``, when resuming). Every problem is a UsageError."""
    table = load_table(config.dataset)
    target = config.target or table.target
    if target is None:
        raise UsageError(
            f"--dataset {config.dataset} needs --target COLUMN, the column to predict; its "
            f"columns are: {', '.join(table.names)}"
        )
    if target not in table.columns:
        raise UsageError(
            f"--target {target}: {table.source} has no such column; its columns are: "
            f"{', '.join(table.names)}"
        )
    task = config.task or table.task or tabular.infer_task(table[target])
    try:
        y, classes = tabular.encode_target(table, target, task)
        kinds = tabular.infer_column_types(
            table, target, categorical=config.categorical, numeric=config.numeric,
            embed=config.embed, drop=config.drop)  # fmt: skip
    except ValueError as error:
        raise UsageError(str(error)) from None
    rows = split_rows(y, task, config.val_fraction, config.seed)
    if saved_state is None:
        fitted = tabular.TabularPreprocessor(kinds).fit(table.take(rows["train"]))
        saved_state = fitted.state_dict()
    # every split goes through the JSON form: what predict will load is what trained
    preprocessor = tabular.TabularPreprocessor.from_state_dict(json.loads(json.dumps(saved_state)))
    x = {name: preprocessor.transform(table.take(r), "bucket") for name, r in rows.items()}
    ys = {name: y[r] for name, r in rows.items()}
    log(f"{table.source}: {len(table)} rows; target {target!r} ({task}"
        + (f", classes {', '.join(classes)})" if classes else ")"))  # fmt: skip
    log(tabular.describe_columns(table, kinds))
    log(f"features: {x['train'].shape[1]} columns after encoding; rows "
        + ", ".join(f"{k} {len(v)}" for k, v in rows.items()))  # fmt: skip
    return TableData(table, target, task, classes, preprocessor, rows, x, ys)


def split_rows(y, task: str, val_fraction: float, seed: int) -> dict:
    """Row indices of the fixed test split (seed 0) and of the seeded validation split."""
    from abinitio.data.datasets.splits import stratified_split

    def split(indices, fraction, split_seed):
        if task == "classification":
            inner_train, inner_test = stratified_split(y[indices], fraction, split_seed)
            return indices[inner_train], indices[inner_test]
        order = np.random.default_rng(split_seed).permutation(len(indices))
        cut = round(fraction * len(indices))
        return indices[order[cut:]], indices[order[:cut]]

    train, test = split(np.arange(len(y)), TEST_FRACTION, SPLIT_SEED)
    rows = {"train": train}
    if val_fraction:
        rows["train"], rows["val"] = split(train, val_fraction, seed)
    rows["test"] = test
    if len(rows["train"]) < 2:
        raise UsageError(f"only {len(rows['train'])} training rows after the splits")
    return rows


def build_model(config, data: TableData):
    pre = data.preprocessor
    hidden = (config.width or 64,) * (config.layers or 2)
    if data.task == "regression":
        mean, std = float(data.y["train"].mean()), float(data.y["train"].std()) or 1.0
        return nn_model(pre, 1, hidden, config.dropout, mean, std)
    return nn_model(pre, data.num_outputs, hidden, config.dropout)


def nn_model(pre, outputs, hidden, dropout, mean=None, std=None):
    """A TabularMLP with its linear path (wide=True): the network contains the linear
    model a baseline fits, and learns what lies beyond it."""
    from abinitio.models import TabularMLP

    return TabularMLP(pre.n_continuous, pre.cardinalities, outputs, hidden_sizes=hidden,
                      dropout=dropout or 0.0, wide=True, target_mean=mean,
                      target_std=std)  # fmt: skip


def _targets(data: TableData, split: str):
    y = data.y[split]
    return y[:, None] if data.task == "regression" else y  # MSELoss wants (N, 1) like f(x)


def loaders(data: TableData, config):
    from abinitio.data import DataLoader, TensorDataset

    def loader(split, **kwargs):
        return DataLoader(TensorDataset(data.x[split], _targets(data, split)), **kwargs)

    train = loader("train", batch_size=config.batch_size, shuffle=config.shuffle)
    val = loader("val", batch_size=1024) if "val" in data.x else None
    return train, val, loader("test", batch_size=1024)


def loss_of(data: TableData, config):
    if data.task == "classification":
        return nn.CrossEntropyLoss()
    return LOSSES[config.loss or "mse"]()


# ---- training ---------------------------------------------------------------------------------
def train_table(config, run_dir=None, resume=False, progress=True, log=print) -> dict:
    from abinitio.cli import registry
    from abinitio.cli import train as training
    from abinitio.serialization import save
    from abinitio.training import Trainer

    check_options(config)
    run_dir = run_dir or config.out or training.default_run_dir(config)
    saved = _read_state(run_dir) if resume else None
    data = prepare(config, saved, log)
    ab.manual_seed(config.seed)
    model = build_model(config, data)
    optimizer = registry.build_optimizer(config, model)
    if not resume:
        training._create_run_dir(run_dir, config)
        training.write_json(os.path.join(run_dir, PREPROCESSING_NAME), data.state())
    log(f"run directory: {run_dir}")
    nn.summary(model, (1, data.x["train"].shape[1]), print_fn=log)
    metrics = ("accuracy",) if data.task == "classification" else ("mae", "rmse", "r2")
    trainer = Trainer(model, optimizer, loss_of(data, config), metrics=metrics,
                      callbacks=[training.MetricsWriter(run_dir)], grad_clip_norm=config.grad_clip,
                      checkpoint_dir=run_dir, progress=progress, log=log)  # fmt: skip
    train_loader, val_loader, _ = loaders(data, config)
    started = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, epochs=config.epochs, resume=resume)
    seconds = time.perf_counter() - started
    save(model.state_dict(), os.path.join(run_dir, training.MODEL_NAME))
    results = evaluate(model, data, config)
    results["baselines"] = baselines(data, config.seed)
    results.update(parameters=sum(p.numel() for p in model.parameters()),
                   epochs_run=len(history), seconds=seconds)  # fmt: skip
    results["importance"] = permutation_importance(model, data, config.seed)
    payload = {"history": history.epochs, **results}
    training.write_json(os.path.join(run_dir, training.METRICS_NAME), payload)
    from abinitio.cli.tabular_report import write_table_report

    write_table_report(os.path.join(run_dir, training.REPORT_NAME), config, data, model,
                       history, results)  # fmt: skip
    log(results_table(results, data.task))
    return results


def _read_state(run_dir: str) -> dict:
    path = os.path.join(run_dir, PREPROCESSING_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} has no {PREPROCESSING_NAME}: it is not a tabular run")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def outputs_of(model, x: np.ndarray) -> np.ndarray:
    model.eval()
    with ab.no_grad():
        return np.concatenate([model(ab.tensor(x[i : i + 4096])).numpy()
                               for i in range(0, len(x), 4096)])  # fmt: skip


def score(task: str, classes, y, outputs) -> dict:
    """Test metrics: accuracy and the classification report, or MAE/RMSE/R^2."""
    from abinitio.training import classification_report
    from abinitio.training.regression import regression_report

    if task == "classification":
        report = classification_report(y, outputs.argmax(-1), len(classes))
        return {"test_accuracy": report["accuracy"], "test_report": report}
    report = regression_report(y, outputs)
    return {f"test_{k}": report[k] for k in ("mae", "rmse", "r2")}


def evaluate(model, data: TableData, config) -> dict:
    outputs = outputs_of(model, data.x["test"])
    with ab.no_grad():
        loss = loss_of(data, config)(ab.tensor(outputs), ab.tensor(_targets(data, "test")))
    return {"test_loss": loss.item(), **score(data.task, data.classes, data.y["test"], outputs)}


def baselines(data: TableData, seed: int) -> dict:
    """scikit-learn models trained on the same training rows and features, scored on the
    same test rows: LogisticRegression / Ridge, and gradient boosting."""
    from sklearn import ensemble, linear_model

    n = len(data.x["train"])
    if data.task == "classification":
        models = {"LogisticRegression": linear_model.LogisticRegression(max_iter=5000)}
        booster = ensemble.GradientBoostingClassifier if n <= 5000 else \
            ensemble.HistGradientBoostingClassifier  # fmt: skip
    else:
        models = {"Ridge": linear_model.Ridge(alpha=1.0)}
        booster = ensemble.GradientBoostingRegressor if n <= 5000 else \
            ensemble.HistGradientBoostingRegressor  # fmt: skip
    models[booster.__name__] = booster(random_state=seed)
    results = {}
    for name, model in models.items():
        model.fit(data.x["train"], data.y["train"])
        if data.task == "classification":
            predicted = model.predict(data.x["test"])
            results[name] = {"test_accuracy": float((predicted == data.y["test"]).mean())}
        else:
            results[name] = score("regression", None, data.y["test"], model.predict(data.x["test"]))
    return results


def permutation_importance(model, data: TableData, seed: int, repeats: int = 5) -> dict:
    """How much the validation score drops when one column's values are shuffled among
    the rows (Breiman 2001): importance_j = score(X) - mean_r score(X with column j
    permuted). A column's one-hot block is shuffled as one. Score: accuracy or R^2."""
    split = "val" if "val" in data.x else None
    if split is None or len(data.x[split]) < 2:
        return {}
    x, y = data.x[split], data.y[split]
    metric = "test_accuracy" if data.task == "classification" else "test_r2"
    baseline = score(data.task, data.classes, y, outputs_of(model, x))[metric]
    rng = np.random.default_rng(seed)
    importance, start = {}, 0
    for name, width in _blocks(data.preprocessor):
        drops = []
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[:, start : start + width] = x[rng.permutation(len(x)), start : start + width]
            outputs = outputs_of(model, shuffled)
            drops.append(baseline - score(data.task, data.classes, y, outputs)[metric])
        importance[name] = float(np.mean(drops))
        start += width
    return dict(sorted(importance.items(), key=lambda item: -item[1]))


def _blocks(pre) -> list:
    """(column name, its number of output columns), in output order."""
    return [(c["name"], len(c["categories"]) if c["kind"] == "categorical" else 1)
            for c in pre.columns]  # fmt: skip


def results_table(results: dict, task: str) -> str:
    keys = ["test_accuracy"] if task == "classification" else ["test_mae", "test_rmse", "test_r2"]
    rows = [("abinitio TabularMLP", [results[k] for k in keys])]
    rows += [(name, [values[k] for k in keys]) for name, values in results["baselines"].items()]
    heads = [k.removeprefix("test_").replace("r2", "R2").upper() for k in keys]
    lines = ["", "final test metrics (same test rows)", f"{'model':<34}" + "".join(
        f"{h:>10}" for h in heads)]  # fmt: skip
    for name, values in rows:
        cells = "".join(f"{v:>10.2%}" if task == "classification" else f"{v:>10.4f}"
                        for v in values)  # fmt: skip
        lines.append(f"{name:<34}{cells}")
    lines.append(f"parameters {results['parameters']:,}, epochs {results['epochs_run']}")
    return "\n".join(lines)


# ---- evaluate and predict ---------------------------------------------------------------------
def load_run(run_dir: str):
    """(config, state, model) of a finished tabular run."""
    from abinitio.cli import train as training

    config = training.config_of_run(run_dir)
    state = _read_state(run_dir)
    pre = tabular.TabularPreprocessor.from_state_dict(state)
    hidden = (config.width or 64,) * (config.layers or 2)
    path = os.path.join(run_dir, training.MODEL_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} has no {training.MODEL_NAME}: the run has not finished")
    weights = ab.load(path)
    regression = state["task"] == "regression"
    outputs = 1 if regression else len(state["classes"])
    model = nn_model(pre, outputs, hidden, config.dropout, 0.0 if regression else None, 1.0)
    model.load_state_dict(weights)
    model.eval()
    return config, state, pre, model


def is_image_run(run_dir: str) -> bool:
    return _read_state(run_dir).get("format", "").startswith("abinitio.images")


def predict_own_data(args) -> int:
    """``abinitio predict RUN_DIR INPUT`` for a tabular or image-folder run."""
    if is_image_run(args.run_dir):
        from abinitio.cli.images import predict_images

        return predict_images(args)
    return predict_csv(args)


def evaluate_run(args) -> int:
    """``abinitio evaluate RUN_DIR`` for a tabular run: test metrics, rebuilt from the file."""
    if is_image_run(args.run_dir):
        from abinitio.cli.images import evaluate_images

        return evaluate_images(args)
    config, state, pre, model = load_run(args.run_dir)
    data = prepare(config, state, log=lambda message: None)
    results = evaluate(model, data, config)
    print(f"{args.run_dir}: TabularMLP on {config.dataset} ({data.task}, target {data.target})")
    for key, value in results.items():
        if key != "test_report":
            print(f"{key:<14} {value:>12.4f}")
    return 0


def predict_csv(args) -> int:
    """``abinitio predict RUN_DIR new.csv``: the saved preprocessing, then the model; the
    predictions go to a CSV file (``--output``, default ``<input>.predictions.csv``)."""
    config, state, pre, model = load_run(args.run_dir)
    try:
        table = tabular.read_csv(args.input)
        x = pre.transform(table, getattr(args, "handle_unknown", None) or "error")
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(str(error)) from None
    outputs = outputs_of(model, x)
    column = f"predicted_{state['target']}"
    if state["task"] == "classification":
        probabilities = _softmax(outputs)
        labels = np.asarray(state["classes"])[probabilities.argmax(-1)]
        extra = {column: labels, "probability": probabilities.max(-1).round(4).astype(str)}
    else:
        extra = {column: outputs[:, 0].astype(str)}
    output = args.output or os.path.splitext(args.input)[0] + ".predictions.csv"
    tabular.write_csv(output, table, extra)
    unknown = pre.unknown_levels(table)
    if unknown:
        print(f"{len(unknown)} unseen categorical value(s) went to the 'unknown' bucket")
    print(f"{len(table)} predictions ({state['task']}, target {state['target']!r}) -> {output}")
    for i in range(min(5, len(table))):
        print(f"  line {int(table.lines[i])}: {extra[column][i]}")
    if state["target"] in table.columns and (table[state["target"]] != "").all():
        try:
            y, _ = tabular.encode_target(table, state["target"], state["task"], state["classes"])
        except ValueError as error:
            raise UsageError(str(error)) from None
        metrics = score(state["task"], state["classes"], y, outputs)
        print("  with the target in the file: " + ", ".join(
            f"{k.removeprefix('test_')} {v:.4f}" for k, v in metrics.items() if k != "test_report"))
    return 0


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
