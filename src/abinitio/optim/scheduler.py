"""``LRScheduler``: the base class of the learning-rate schedules in :mod:`.lr_scheduler`.

A scheduler rewrites ``group["lr"]`` of its optimiser's parameter groups each time its
``step()`` is called (once per epoch, or once per batch for :class:`OneCycleLR`), after
``optimizer.step()``. A subclass writes ``get_lr()``: the next learning rates, computed
from ``self.last_epoch`` (how many times ``step`` has run) and the current ones.

This base lives in its own file so that the schedules split over several files can all
import it while :mod:`abinitio.optim.lr_scheduler` re-exports them: dependencies point one way.
"""

from __future__ import annotations

import copy

from abinitio.optim.optimizer import Optimizer


def check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs an Optimizer, received {type(optimizer).__name__}")


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class LRScheduler:
    """Base class of learning-rate schedulers, PyTorch's ``torch.optim.lr_scheduler.LRScheduler``.

    On construction it records each group's starting rate as ``group["initial_lr"]`` (the
    ``base_lrs``) and takes a first step, to epoch 0, which sets the epoch-0 rates.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        last_epoch: the index of the last epoch seen; -1 (default) starts afresh. Only pass
            another value to resume, when the groups already hold ``"initial_lr"``.

    Attributes:
        base_lrs: each group's ``initial_lr``.
        last_epoch: how many times ``step`` has been called (0 after construction).

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD
        >>> from abinitio.optim.lr_scheduler import LRScheduler
        >>> class Halving(LRScheduler):       # a schedule of your own: write get_lr
        ...     def get_lr(self):
        ...         return [base_lr * 0.5**self.last_epoch for base_lr in self.base_lrs]
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(1))], lr=1.0)
        >>> scheduler = Halving(optimizer)
        >>> scheduler.step()
        >>> scheduler.step()
        >>> scheduler.get_last_lr(), optimizer.param_groups[0]["lr"]
        ([0.25], 0.25)

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise KeyError(
                    f"param_groups[{i}] has no 'initial_lr', needed to resume a schedule with "
                    f"last_epoch={last_epoch}: load the optimiser's state_dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True  # seen by get_lr: the constructor's step may keep the rates
        self.step()
        self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates of epoch ``self.last_epoch``, one per parameter group."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance one epoch and write the new rates into the optimiser's groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self) -> list:
        """The learning rates the last ``step`` set, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Every attribute except the optimiser, as plain (JSON-able) Python values."""
        return {
            key: copy.deepcopy(value) for key, value in self.__dict__.items() if key != "optimizer"
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` (its values are copied)."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"
