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
import socket

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

    With ``folds``, a trial is scored by k-fold cross-validation instead: one model per
    fold, the trial's value the mean of the folds' final validation losses, and the pruner
    fed the running mean after each fold (Optuna's pattern for cross-validated trials):

    .. code-block:: text

        for k, (train_k, val_k) in enumerate(folds):
            loss_k = train_and_validate(params, train_k, val_k)
            trial.report(mean(loss_1..loss_k), k); maybe prune
        return mean(loss_1..loss_K)

    One held-out split of a few hundred examples is a noisy judge; the mean over k folds
    costs k times the training and averages that noise. It does not catch a setting that
    diverges only from some initialisations (each fold starts from the trial's seed):
    measured on digits in the README, both scorings chose such an RMSprop setting once.

    Args:
        space: a :class:`~abinitio.tune.SearchSpace`.
        build: ``params -> (model, optimizer)``.
        train_set, val_set: datasets for training and for the per-epoch validation loss.
        folds: instead of ``train_set`` and ``val_set``, a list of ``(train, val)`` dataset
            pairs (k-fold cross-validation, k >= 2).
        epochs: epochs per trial (pruned trials stop earlier).
        loss_fn: default cross-entropy on logits.
        seed: trial ``k`` seeds abinitio's generator with ``seed + k``.

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """

    def __init__(self, space, build, train_set=None, val_set=None, epochs: int = 10,
                 loss_fn=None, seed: int = 0, folds=None) -> None:  # fmt: skip
        if epochs < 1:
            raise ValueError(f"Objective: epochs must be >= 1, got {epochs}")
        if folds is None and (train_set is None or val_set is None):
            raise ValueError("Objective: give train_set and val_set, or folds")
        if folds is not None and (train_set is not None or val_set is not None):
            raise ValueError("Objective: give folds or train_set and val_set, not both")
        if folds is not None and len(folds) < 2:
            raise ValueError(f"Objective: folds must hold at least 2 (train, val) pairs, "
                             f"got {len(folds)}")  # fmt: skip
        self.space, self.build, self.epochs, self.seed = space, build, epochs, seed
        self.train_set, self.val_set, self.folds = train_set, val_set, folds
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
        import optuna

        # which process runs it (with --jobs N), recorded first: a resumed study marks a
        # trial whose process is gone as failed (abinitio.cli.tune.fail_interrupted_trials)
        trial.set_user_attr("worker", os.getpid())
        trial.set_user_attr("host", socket.gethostname())
        params = self.space.suggest(trial)
        if self.folds is None:
            last = self._fit(trial, params, self.train_set, self.val_set, [PruningCallback(trial)])
            if "val_accuracy" in last:
                trial.set_user_attr("val_accuracy", last["val_accuracy"])
            return last["val_loss"]
        losses, accuracies = [], []
        for k, (train_set, val_set) in enumerate(self.folds):
            last = self._fit(trial, params, train_set, val_set, [])
            losses.append(last["val_loss"])
            accuracies.append(last.get("val_accuracy"))
            trial.report(sum(losses) / len(losses), k)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {k + 1}: mean val_loss "
                                         f"{sum(losses) / len(losses):.4f}")  # fmt: skip
        if None not in accuracies:
            trial.set_user_attr("val_accuracy", sum(accuracies) / len(accuracies))
        trial.set_user_attr("fold_val_losses", losses)
        return sum(losses) / len(losses)

    def _fit(self, trial, params, train_set, val_set, callbacks) -> dict:
        """Train a fresh model on ``train_set``; the last epoch's record."""
        ab.manual_seed(self.seed + trial.number)  # every fold starts from the same weights
        model, optimizer = self.build(params)
        trainer = Trainer(model, optimizer, self.loss_fn, callbacks=callbacks, progress=False,
                          log=None)  # fmt: skip
        batch_size = int(params.get("batch_size", 64))
        loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
        history = trainer.fit(loader, DataLoader(val_set, batch_size=512), self.epochs)
        return history.epochs[-1]
