"""Learning-rate schedules (``torch.optim.lr_scheduler``).

Create the scheduler after the optimiser and call ``scheduler.step()`` after
``optimizer.step()``: once per epoch, or once per batch for :class:`OneCycleLR`.
:class:`ReduceLROnPlateau` instead takes the metric it watches: ``scheduler.step(val_loss)``.

The schedules update the rate *recursively* from the current one, as PyTorch does (so
another change to ``group["lr"]`` carries over, and the numbers equal PyTorch's to the
last bit); each docstring gives the closed form they follow.

The base class is in :mod:`.scheduler`, :class:`OneCycleLR` in :mod:`.one_cycle` and
:class:`ReduceLROnPlateau` in :mod:`.plateau`; all are re-exported here.
"""

from __future__ import annotations

import math

from abinitio.optim.one_cycle import OneCycleLR
from abinitio.optim.optimizer import require
from abinitio.optim.plateau import ReduceLROnPlateau
from abinitio.optim.scheduler import LRScheduler, is_positive_int

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr_epoch = base_lr * gamma ** (epoch // step_size)

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        step_size: the number of epochs between two decays (a positive int).
        gamma: the decay factor (> 0). Default: 0.1.
        last_epoch: -1 to start afresh; see :class:`LRScheduler`.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=0.1)
        >>> scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     optimizer.step()              # after the epoch's training
        ...     scheduler.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        require(is_positive_int(step_size), "StepLR", "step_size", step_size, "a positive int")
        require(gamma > 0, "StepLR", "gamma", gamma, "a positive number")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch.

    lr_epoch = base_lr * gamma ** (number of milestones <= epoch)

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        milestones: epochs (non-negative ints) at which to decay; a repeated milestone
            decays once per repetition.
        gamma: the decay factor (> 0). Default: 0.1.
        last_epoch: -1 to start afresh; see :class:`LRScheduler`.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=1.0)
        >>> scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        milestones = sorted(milestones)
        for milestone in milestones:
            require(
                isinstance(milestone, int) and milestone >= 0,
                "MultiStepLR",
                "milestones",
                milestones,
                "non-negative ints",
            )
        require(gamma > 0, "MultiStepLR", "gamma", gamma, "a positive number")
        self.milestones = milestones  # a sorted list (PyTorch keeps a Counter)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        repeats = self.milestones.count(self.last_epoch)
        if repeats == 0:
            return self._current_lrs()
        return [lr * self.gamma**repeats for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    lr_epoch = base_lr * gamma ** epoch

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        gamma: the decay factor (> 0).
        last_epoch: -1 to start afresh; see :class:`LRScheduler`.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=1.0)
        >>> scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
        >>> scheduler.step()
        >>> scheduler.step()
        >>> scheduler.get_last_lr()
        [0.25]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        require(gamma > 0, "ExponentialLR", "gamma", gamma, "a positive number")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:  # resuming (last_epoch >= 0): keep the loaded rate
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate from ``base_lr`` to ``eta_min`` along half a cosine.

    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"
    (https://arxiv.org/abs/1608.03983), without the restarts::

        lr_epoch = eta_min + (base_lr - eta_min) (1 + cos(π epoch / T_max)) / 2

    After ``T_max`` epochs it climbs back up (the cosine goes on). The rate is updated
    recursively, as in PyTorch: each step multiplies ``lr - eta_min`` by the ratio of two
    consecutive ``1 + cos`` terms.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        T_max: the number of epochs of the descent (a positive int).
        eta_min: the final learning rate (>= 0). Default: 0.
        last_epoch: -1 to start afresh; see :class:`LRScheduler`.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=1.0)
        >>> scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        require(is_positive_int(T_max), "CosineAnnealingLR", "T_max", T_max, "a positive int")
        require(eta_min >= 0, "CosineAnnealingLR", "eta_min", eta_min, "a non-negative number")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        epoch, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (epoch - 1 - T) % (2 * T) == 0:  # at the bottom, the ratio below would be 0 / 0
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for lr, base_lr in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` times its base
    value over ``total_iters`` epochs, then keep it: the usual warm-up.

    lr_epoch = base_lr * (start_factor + (end_factor - start_factor) min(epoch, total_iters)
    / total_iters)

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        start_factor: the factor at epoch 0, in (0, 1]. Default: 1/3.
        end_factor: the factor from epoch ``total_iters`` on, in [0, 1]. Default: 1.
        total_iters: the number of epochs of the ramp (a positive int). Default: 5.
        last_epoch: -1 to start afresh; see :class:`LRScheduler`.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=1.0)
        >>> scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     scheduler.step()
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        name = "LinearLR"
        require(0 < start_factor <= 1, name, "start_factor", start_factor, "in (0, 1]")
        require(0 <= end_factor <= 1, name, "end_factor", end_factor, "in [0, 1]")
        require(is_positive_int(total_iters), name, "total_iters", total_iters, "a positive int")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        start, end, epoch = self.start_factor, self.end_factor, self.last_epoch
        if epoch == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or epoch > self.total_iters:
            return self._current_lrs()
        # factor(epoch) / factor(epoch - 1), with factor(e) = start + (end - start) e / total
        ratio = 1 + (end - start) / (self.total_iters * start + (epoch - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]
