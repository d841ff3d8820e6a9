"""``ReduceLROnPlateau``: lower the learning rate when a watched metric stops improving."""

from __future__ import annotations

import math

from abinitio.optim.optimizer import require
from abinitio.optim.scheduler import LRScheduler, check_optimizer


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` once a metric has not improved for more than
    ``patience`` epochs, PyTorch's ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Unlike the other schedules it is driven by a measurement: call ``step(metric)`` once per
    epoch with, say, the validation loss. A metric is an improvement when it beats the best
    so far by more than the threshold::

        mode="min", threshold_mode="rel":  metric < best (1 - threshold)
        mode="min", threshold_mode="abs":  metric < best - threshold
        mode="max", threshold_mode="rel":  metric > best (1 + threshold)
        mode="max", threshold_mode="abs":  metric > best + threshold

    Each epoch without improvement counts as bad; after ``patience + 1`` bad epochs in a row
    every group's rate becomes ``max(lr * factor, min_lr)`` (unless that changes it by no more
    than ``eps``), and the next ``cooldown`` epochs are not counted.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. an accuracy).
        factor: the decay factor, in [0, 1). Default: 0.1.
        patience: the number of bad epochs tolerated before a decay (an int >= 0). Default: 10.
        threshold: the improvement that counts (>= 0). Default: 1e-4.
        threshold_mode: ``"rel"`` or ``"abs"``, see above. Default: ``"rel"``.
        cooldown: epochs to wait after a decay before counting again (an int >= 0). Default: 0.
        min_lr: the lowest rate (>= 0), or one per group. Default: 0.
        eps: decays smaller than this are skipped. Default: 1e-8.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=1.0)
        >>> scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
        >>> for val_loss in [3.0, 2.0, 2.5, 2.5, 2.2, 2.1]:
        ...     scheduler.step(val_loss)
        ...     print(scheduler.get_last_lr())
        [1.0]
        [1.0]
        [1.0]
        [0.5]
        [0.5]
        [0.25]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ) -> None:
        check_optimizer(optimizer)
        name = "ReduceLROnPlateau"
        require(mode in ("min", "max"), name, "mode", mode, "'min' or 'max'")
        require(0 <= factor < 1, name, "factor", factor, "in [0, 1)")
        require(_is_count(patience), name, "patience", patience, "an int >= 0")
        require(threshold >= 0, name, "threshold", threshold, "a non-negative number")
        modes = ("rel", "abs")
        require(threshold_mode in modes, name, "threshold_mode", threshold_mode, "'rel' or 'abs'")
        require(_is_count(cooldown), name, "cooldown", cooldown, "an int >= 0")
        require(eps >= 0, name, "eps", eps, "a non-negative number")
        self.optimizer = optimizer
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.min_lrs = self._min_lrs(min_lr)
        for value in self.min_lrs:
            require(value >= 0, name, "min_lr", min_lr, "non-negative")
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _min_lrs(self, min_lr) -> list:
        groups = len(self.optimizer.param_groups)
        if self.default_min_lr is not None:
            return [min_lr] * groups
        require(len(min_lr) == groups, "ReduceLROnPlateau", "min_lr", min_lr, f"{groups} values")
        return list(min_lr)

    def step(self, metrics) -> None:
        """Record one epoch's metric (a number or a one-element tensor); decay if needed."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimiser now has {len(self.optimizer.param_groups)}"
                    f" parameter groups but min_lr gave {len(self.min_lrs)} values"
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, metric: float, best: float) -> bool:
        """Does ``metric`` improve on ``best`` by more than the threshold?"""
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
