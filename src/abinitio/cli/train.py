"""``abinitio train``: build a data set and a model from options, train, and leave a run
directory behind.

A run directory holds ``config.toml`` (every option, enough to rebuild the model),
``checkpoint.safetensors`` (written after every epoch; ``--resume`` continues from it),
``model.safetensors`` (the final weights), ``metrics.json`` (the per-epoch history and the
test metrics) and ``report.html`` (curves, confusion matrix, mistakes, pictures).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli import graph as graph_cli
from abinitio.cli import registry
from abinitio.cli import tabular as own_data
from abinitio.cli.options import TrainConfig, UsageError, read_toml, to_toml
from abinitio.data import DataLoader, Subset, TensorDataset
from abinitio.data.datasets.splits import stratified_split
from abinitio.serialization import CheckpointError, save, temporaries, write_atomically
from abinitio.training import Callback, Trainer, classification_report
from abinitio.training.checkpoint import checkpoint_path
from abinitio.training.metrics import predicted_classes

CONFIG_NAME, MODEL_NAME, METRICS_NAME, REPORT_NAME = (
    "config.toml", "model.safetensors", "metrics.json", "report.html",
)  # fmt: skip


def resolve_config(cli_values: dict, config_file: str | None = None) -> TrainConfig:
    """Defaults <- recipe <- config file <- command line, validated."""
    config = TrainConfig()
    if config_file:
        config = config.merged(read_toml(config_file))
    config = config.merged(cli_values)
    config = config.with_recipe(registry.recipe(config.dataset, config.model))
    config.validate(list(registry.OPTIMIZERS))
    if config.model not in registry.MODELS:
        raise UsageError(
            f"unknown model {config.model!r}; choose one of: {', '.join(registry.MODELS)}"
        )
    return config


def config_of_run(run_dir: str, overrides: dict | None = None) -> TrainConfig:
    """The options a run directory was made with (``--resume`` and ``evaluate`` use it)."""
    if not os.path.isdir(run_dir):
        raise UsageError(f"run directory {run_dir!r} does not exist")
    path = os.path.join(run_dir, CONFIG_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} is not a run directory: it has no {CONFIG_NAME}")
    config = TrainConfig().merged(read_toml(path)).merged(overrides or {})
    config.validate(list(registry.OPTIMIZERS))
    return config


def default_run_dir(config: TrainConfig) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{registry.dataset_name(config.dataset)}-{config.model}-{stamp}")


class MetricsWriter(Callback):
    """Keep ``metrics.json`` current after every epoch, so a killed run leaves its history."""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        write_json(os.path.join(self.run_dir, METRICS_NAME), {"history": trainer.history.epochs})


def write_json(path: str, payload: dict) -> None:
    """Write JSON atomically: a reader sees the old file or the new one."""
    text = json.dumps(payload, indent=2)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text, "utf-8"))


def loaders(data, config: TrainConfig):
    """Train/validation/test loaders; the validation set is a seeded, stratified part of
    the training set (none when ``val_fraction`` is 0)."""
    train_set = TensorDataset(data.x_train, data.y_train)
    val_loader = None
    if config.val_fraction > 0:
        train_index, val_index = stratified_split(data.y_train, config.val_fraction, config.seed)
        val_loader = DataLoader(Subset(train_set, val_index), batch_size=512)
        train_set = Subset(train_set, train_index)
    train_loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=config.shuffle)
    test_loader = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=512)
    return train_loader, val_loader, test_loader


def train(config: TrainConfig, run_dir: str | None = None, resume: bool = False,
          progress: bool = True, log=print, distributed: bool = False) -> dict:  # fmt: skip
    """Run training end to end; returns the final metrics (also in ``metrics.json``).
    ``distributed``: this process is one rank of an ``mpiexec`` job (issue 12)."""
    if distributed:
        from abinitio.cli.distributed import train_distributed

        return train_distributed(config, run_dir, resume, progress, log)
    if registry.dataset_name(config.dataset) == "text":  # a language model: its own loop
        from abinitio.cli.text import train_text

        return train_text(config, run_dir, resume, progress, log)
    if graph_cli.handles(config.dataset):  # graphs and topology (issue 14)
        return graph_cli.train_graph(config, run_dir, resume, progress, log)
    if own_data.handles(config.dataset):  # tables and image folders (issue 20)
        return own_data.train_own_data(config, run_dir, resume, progress, log)
    data = registry.load_dataset(config.dataset)
    ab.manual_seed(config.seed)
    model = registry.build_model(config, data)
    optimizer = registry.build_optimizer(config, model)
    if config.init_from or config.freeze or config.lr_backbone:  # fine-tuning (issue 19)
        from abinitio.cli.finetune import init_from

        optimizer = init_from(config, model, log)
    run_dir = run_dir or config.out or default_run_dir(config)
    if not resume:
        _create_run_dir(run_dir, config)
    else:
        resume = continue_from(run_dir, log)
    train_loader, val_loader, test_loader = loaders(data, config)
    log(f"run directory: {run_dir}")
    nn.summary(model, (1, *data.input_shape), print_fn=log)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=[MetricsWriter(run_dir)],
                      grad_clip_norm=config.grad_clip, checkpoint_dir=run_dir,
                      progress=progress, log=log)  # fmt: skip
    started = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, epochs=config.epochs, resume=resume)
    save(model.state_dict(), os.path.join(run_dir, MODEL_NAME))
    results = finish_run(run_dir, config, data, trainer, test_loader, history)
    results["seconds"] = time.perf_counter() - started
    log(results_table(results))
    return results


def _create_run_dir(run_dir: str, config: TrainConfig) -> None:
    if os.path.exists(os.path.join(run_dir, CONFIG_NAME)):
        raise UsageError(
            f"{run_dir!r} already holds a run; choose another --out, or continue it with "
            f"--resume {run_dir}"
        )
    os.makedirs(run_dir, exist_ok=True)
    text = to_toml({**config.as_dict(), "out": run_dir})
    write_atomically(os.path.join(run_dir, CONFIG_NAME),
                     lambda temporary: Path(temporary).write_text(text, "utf-8"))  # fmt: skip


def continue_from(run_dir: str, log=print) -> bool:
    """Ready a run directory for ``--resume``: remove the temporary files that writes cut
    short by a kill left behind, and say whether a checkpoint exists to continue from.
    Without one (the run was stopped in its first epoch) it starts again from epoch 1,
    which, seeded as it is, gives the same run."""
    for path in temporaries(run_dir):
        os.remove(path)
    if os.path.exists(checkpoint_path(run_dir)):
        return True
    log(f"{run_dir} has no checkpoint yet (stopped in epoch 1): starting from epoch 1")
    return False


def evaluate_model(trainer, data, test_loader) -> dict:
    """Test loss, accuracy and the full classification report, from one pass over the
    test set."""
    outputs, targets = trainer.predict(test_loader)
    with ab.no_grad():
        loss = trainer.loss_fn(ab.tensor(outputs), ab.tensor(targets)).item()
    predictions = predicted_classes(outputs)
    report = classification_report(targets, predictions, data.num_classes)
    return {"test_loss": loss, "test_accuracy": report["accuracy"],
            "report": report, "predictions": predictions}  # fmt: skip


def finish_run(run_dir, config, data, trainer, test_loader, history) -> dict:
    evaluation = evaluate_model(trainer, data, test_loader)
    predictions = evaluation.pop("predictions")
    parameters = sum(p.numel() for p in trainer.model.parameters())
    results = {"test_loss": evaluation["test_loss"], "test_accuracy": evaluation["test_accuracy"],
               "parameters": parameters, "epochs_run": len(history)}  # fmt: skip
    metrics = {"history": history.epochs, **results, "test_report": evaluation["report"]}
    write_json(os.path.join(run_dir, METRICS_NAME), metrics)
    from abinitio.cli.report import write_run_report

    write_run_report(os.path.join(run_dir, REPORT_NAME), config, data, trainer.model, history,
                     results, evaluation["report"], predictions)  # fmt: skip
    return results


def results_table(results: dict) -> str:
    rows = [("test accuracy", f"{results['test_accuracy']:.2%}"),
            ("test loss", f"{results['test_loss']:.4f}"),
            ("parameters", f"{results['parameters']:,}"),
            ("epochs", str(results["epochs_run"]))]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = ["", "final test metrics", "-" * (width + 14)]
    lines += [f"{name:<{width}}  {value:>12}" for name, value in rows]
    return "\n".join(lines)


def load_trained_model(run_dir: str):
    """Rebuild a run's model from its config and load ``model.safetensors`` into it."""
    config = config_of_run(run_dir)
    if registry.dataset_name(config.dataset) == "text":
        raise UsageError(f"{run_dir!r} holds a text model: use abinitio generate {run_dir}")
    data = registry.load_dataset(config.dataset)
    model = registry.build_model(config, data)
    path = os.path.join(run_dir, MODEL_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} has no {MODEL_NAME}: the run has not finished")
    load_weights(model, path)
    model.eval()
    return config, data, model


def load_weights(model, path: str) -> None:
    """``model.load_state_dict(ab.load(path))``; a file that cannot be read, or does not
    fit the model, is a UsageError naming it (exit code 2, not a traceback)."""
    try:
        model.load_state_dict(ab.load(path))
    except CheckpointError as error:
        raise UsageError(str(error)) from None
    except (RuntimeError, ValueError, TypeError) as error:
        raise UsageError(f"{path!r} does not fit the model: {error}") from None


def as_batch(array: np.ndarray, input_shape: tuple) -> np.ndarray:
    """Accept one sample or a batch; anything else is a clear error."""
    if tuple(array.shape) == tuple(input_shape):
        return array[None]
    if tuple(array.shape[1:]) == tuple(input_shape):
        return array
    raise UsageError(
        f"input has shape {array.shape}; this model expects {tuple(input_shape)} for one "
        f"sample or (N, {', '.join(map(str, input_shape))}) for a batch"
    )
