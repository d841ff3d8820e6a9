"""The trial: train one configuration, report every epoch's validation loss, return the
mean of the last few.

Pruning stops hopeless trials early. After each epoch the Trainer's validation loss goes
to ``trial.report(value, epoch)``; the study's pruner compares it with what earlier
trials had at the same epoch (Optuna's ``MedianPruner``: worse than their median ->
prune) and ``trial.should_prune()`` says whether to stop. The objective and the reported
values are both validation losses, so both are minimised and the pruner compares like
with like.
"""

from __future__ import annotations

import math
import os
import socket

import numpy as np

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
    """``objective(trial)``: the validation loss the trial's configuration ends training with.

    .. code-block:: text

        params  = space.suggest(trial)                 # lr, batch_size, depth, ...
        model, optimizer = build(params)               # seeded by (seed, trial.number)
        for epoch in 1..epochs:  train; trial.report(val_loss, epoch); maybe prune
        return mean(val_loss over the last `tail` epochs)   # the study minimises it

    The validation set is part of the training data; the test set is never seen (tuning
    on it would make the test score an optimistic, selected number).

    Why the last few epochs and not the last one: the best configuration is retrained for
    the same fixed number of epochs and its final weights are kept, so a trial should be
    scored by the loss training ends with, and one epoch's value is a noisy sample of it.
    A learning rate at the edge of stability makes the loss spike now and then and
    recover; a trial whose last epoch falls between spikes looks excellent, and out of
    30 trials the lucky ones win (measured on digits: an RMSprop setting at lr 0.015 won
    a study and ended on a spike in 3 of 40 evaluation folds, at 67-85% accuracy). With
    ``tail`` epochs averaged, a spike near the end counts against the trial, and the
    noise of one epoch is averaged away. A diverging trial (a non-finite loss) stops and
    is recorded as failed (the Trainer raises ``TrainingDiverged``).

    With ``folds``, a trial is scored by k-fold cross-validation instead: one model per
    fold, the trial's value the mean of the folds' scores, and the pruner fed the running
    mean after each fold (Optuna's pattern for cross-validated trials):

    .. code-block:: text

        for k, (train_k, val_k) in enumerate(folds):
            loss_k = train_and_validate(params, train_k, val_k, seed=(seed, trial, k))
            trial.report(mean(loss_1..loss_k), k); maybe prune
        return mean(loss_1..loss_K)

    One held-out split of a few hundred examples is a noisy judge; the mean over k folds
    costs k times the training and averages that noise. Each fold starts from its own
    seed (initial weights and shuffling), as the folds of ``abinitio cv`` do: a setting
    that trains well from some initialisations only is then seen k times, not once.

    Args:
        space: a :class:`~abinitio.tune.SearchSpace`.
        build: ``params -> (model, optimizer)``.
        train_set, val_set: datasets for training and for the per-epoch validation loss.
        folds: instead of ``train_set`` and ``val_set``, a list of ``(train, val)`` dataset
            pairs (k-fold cross-validation, k >= 2).
        epochs: epochs per trial (pruned trials stop earlier).
        loss_fn: default cross-entropy on logits.
        seed: fit ``k`` of trial ``n`` seeds abinitio's generator from ``(seed, n, k)``
            (:func:`fit_seed`).
        tail: epochs at the end whose validation losses are averaged into the score
            (at most ``epochs``; 1 scores the last epoch alone).

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """

    def __init__(self, space, build, train_set=None, val_set=None, epochs: int = 10,
                 loss_fn=None, seed: int = 0, folds=None, tail: int = 5) -> None:  # fmt: skip
        if epochs < 1:
            raise ValueError(f"Objective: epochs must be >= 1, got {epochs}")
        if tail < 1:
            raise ValueError(f"Objective: tail must be >= 1 epoch, got {tail}")
        if folds is None and (train_set is None or val_set is None):
            raise ValueError("Objective: give train_set and val_set, or folds")
        if folds is not None and (train_set is not None or val_set is not None):
            raise ValueError("Objective: give folds or train_set and val_set, not both")
        if folds is not None and len(folds) < 2:
            raise ValueError(f"Objective: folds must hold at least 2 (train, val) pairs, "
                             f"got {len(folds)}")  # fmt: skip
        self.space, self.build, self.epochs, self.seed = space, build, epochs, seed
        self.tail = min(tail, epochs)
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
            score, accuracy = self._fit(trial, params, self.train_set, self.val_set,
                                        [PruningCallback(trial)])  # fmt: skip
            if accuracy is not None:
                trial.set_user_attr("val_accuracy", accuracy)
            return score
        losses, accuracies = [], []
        for k, (train_set, val_set) in enumerate(self.folds):
            loss, accuracy = self._fit(trial, params, train_set, val_set, [], fold=k)
            losses.append(loss)
            accuracies.append(accuracy)
            trial.report(sum(losses) / len(losses), k)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {k + 1}: mean val_loss "
                                         f"{sum(losses) / len(losses):.4f}")  # fmt: skip
        if None not in accuracies:
            trial.set_user_attr("val_accuracy", sum(accuracies) / len(accuracies))
        trial.set_user_attr("fold_val_losses", losses)
        return sum(losses) / len(losses)

    def _fit(self, trial, params, train_set, val_set, callbacks, fold: int = 0):
        """Train a fresh model on ``train_set``: the mean validation loss and accuracy of
        the last ``tail`` epochs (accuracy ``None`` when not measured)."""
        ab.manual_seed(fit_seed(self.seed, trial.number, fold))
        model, optimizer = self.build(params)
        trainer = Trainer(model, optimizer, self.loss_fn, callbacks=callbacks, progress=False,
                          log=None)  # fmt: skip
        batch_size = int(params.get("batch_size", 64))
        loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
        history = trainer.fit(loader, DataLoader(val_set, batch_size=512), self.epochs)
        last = history.epochs[-self.tail :]
        loss = float(np.mean([epoch["val_loss"] for epoch in last]))
        if not math.isfinite(loss):  # the Trainer stops on a non-finite training loss only
            raise FloatingPointError(f"diverged: validation loss {loss} over the last "
                                     f"{len(last)} epochs")  # fmt: skip
        if "val_accuracy" not in last[-1]:
            return loss, None
        return loss, float(np.mean([epoch["val_accuracy"] for epoch in last]))


def fit_seed(seed: int, trial: int, fold: int = 0) -> int:
    """The seed of fit ``fold`` of trial ``trial`` in a study seeded ``seed``: distinct for
    every (trial, fold), whatever the numbers (NumPy's SeedSequence mixes them)."""
    return int(np.random.SeedSequence([seed, trial, fold]).generate_state(1)[0])
