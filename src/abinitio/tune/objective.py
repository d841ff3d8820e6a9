"""The trial: train one configuration, report every epoch's validation loss, return the last.

Pruning stops hopeless trials early. After each epoch the Trainer's validation loss goes
to ``trial.report(value, epoch)``; the study's pruner compares it with what earlier
trials had at the same epoch (Optuna's ``MedianPruner``: worse than their median ->
prune) and ``trial.should_prune()`` says whether to stop. The objective and the reported
values are both validation losses, so both are minimised and the pruner compares like
with like.
"""

from __future__ import annotations

import os

import abinitio as ab
from abinitio import nn
from abinitio.data import DataLoader
from abinitio.training import Callback, Trainer


class PruningCallback(Callback):
    """Report ``monitor`` to an Optuna trial after every epoch and stop the trial when the
    pruner says so (optuna-integration's ``*PruningCallback`` for abinitio's Trainer).

    Args:
        trial: the ``optuna.Trial`` being run.
        monitor: the epoch record's key to report (``"val_loss"``: fit needs a
            validation loader).

    Raises:
        optuna.TrialPruned: from ``on_epoch_end``, when ``trial.should_prune()``; Optuna
            records the trial as pruned with the values reported so far.

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """

    def __init__(self, trial, monitor: str = "val_loss") -> None:
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        import optuna

        if self.monitor not in logs:
            raise KeyError(
                f"PruningCallback: {self.monitor!r} is not among the epoch's metrics "
                f"{sorted(logs)}; give fit a validation loader"
            )
        self.trial.report(logs[self.monitor], epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                f"pruned at epoch {epoch}: {self.monitor} {logs[self.monitor]:.4f}"
            )


class Objective:
    """``objective(trial)``: the validation loss after training the trial's configuration.

    .. code-block:: text

        params  = space.suggest(trial)                 # lr, batch_size, depth, ...
        model, optimizer = build(params)               # seeded with seed + trial.number
        for epoch in 1..epochs:  train; trial.report(val_loss, epoch); maybe prune
        return val_loss at the last epoch              # the study minimises it

    The validation set is part of the training data; the test set is never seen (tuning
    on it would make the test score an optimistic, selected number).

    Args:
        space: a :class:`~abinitio.tune.SearchSpace`.
        build: ``params -> (model, optimizer)``.
        train_set, val_set: datasets for training and for the per-epoch validation loss.
        epochs: epochs per trial (pruned trials stop earlier).
        loss_fn: default cross-entropy on logits.
        seed: trial ``k`` seeds abinitio's generator with ``seed + k``.

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """

    def __init__(self, space, build, train_set, val_set, epochs: int, loss_fn=None,
                 seed: int = 0) -> None:  # fmt: skip
        if epochs < 1:
            raise ValueError(f"Objective: epochs must be >= 1, got {epochs}")
        self.space, self.build, self.epochs, self.seed = space, build, epochs, seed
        self.train_set, self.val_set = train_set, val_set
        self.loss_fn = loss_fn or nn.CrossEntropyLoss()

    def __call__(self, trial) -> float:
        import optuna

        try:
            return self._run(trial)
        except optuna.TrialPruned:
            raise
        except Exception as error:  # the study records the trial as failed, with why
            trial.set_user_attr("error", f"{type(error).__name__}: {error}")
            raise

    def _run(self, trial) -> float:
        params = self.space.suggest(trial)
        ab.manual_seed(self.seed + trial.number)
        model, optimizer = self.build(params)
        trainer = Trainer(model, optimizer, self.loss_fn, callbacks=[PruningCallback(trial)],
                          progress=False, log=None)  # fmt: skip
        batch_size = int(params.get("batch_size", 64))
        loader = DataLoader(self.train_set, batch_size=batch_size, shuffle=True)
        history = trainer.fit(loader, DataLoader(self.val_set, batch_size=512), self.epochs)
        last = history.epochs[-1]
        trial.set_user_attr("worker", os.getpid())  # which process ran it (with --jobs N)
        if "val_accuracy" in last:
            trial.set_user_attr("val_accuracy", last["val_accuracy"])
        return last["val_loss"]
