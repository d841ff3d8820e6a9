"""``OneCycleLR``: the 1cycle policy, a warm-up to a large learning rate and a long anneal."""

from __future__ import annotations

import math

from abinitio.optim.optimizer import require
from abinitio.optim.scheduler import LRScheduler, check_optimizer, is_positive_int


def per_group(name: str, optimizer, value) -> list:
    """``value`` for every parameter group: a list or tuple is one per group."""
    if isinstance(value, (list, tuple)):
        require(
            len(value) == len(optimizer.param_groups),
            "OneCycleLR",
            name,
            value,
            f"one value per parameter group ({len(optimizer.param_groups)})",
        )
        return list(value)
    return [value] * len(optimizer.param_groups)


def schedule_phases(total_steps: int, pct_start: float, three_phase: bool) -> list:
    """The phases of the cycle: each anneals from its ``start`` to its ``end`` group entry
    (``"initial_lr"``, ``"max_lr"``, ...) and ends at step ``end_step``."""
    warm_up_end = float(pct_start * total_steps) - 1
    if not three_phase:
        return [
            dict(end_step=warm_up_end, start_lr="initial_lr", end_lr="max_lr",
                 start_momentum="max_momentum", end_momentum="base_momentum"),
            dict(end_step=total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                 start_momentum="base_momentum", end_momentum="max_momentum"),
        ]  # fmt: skip
    return [
        dict(end_step=warm_up_end, start_lr="initial_lr", end_lr="max_lr",
             start_momentum="max_momentum", end_momentum="base_momentum"),
        dict(end_step=float(2 * pct_start * total_steps) - 2, start_lr="max_lr",
             end_lr="initial_lr", start_momentum="base_momentum", end_momentum="max_momentum"),
        dict(end_step=total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
             start_momentum="max_momentum", end_momentum="max_momentum"),
    ]  # fmt: skip


class OneCycleLR(LRScheduler):
    """The 1cycle learning-rate policy, PyTorch's ``torch.optim.lr_scheduler.OneCycleLR``.

    Smith & Topin, "Super-Convergence" (https://arxiv.org/abs/1708.07120). Called once per
    *batch*, for ``total_steps`` batches in all (or ``epochs * steps_per_epoch``):

    * warm-up, the first ``pct_start`` of the steps: lr rises from ``initial_lr = max_lr /
      div_factor`` to ``max_lr``, while the momentum falls from ``max_momentum`` to
      ``base_momentum``;
    * anneal, the rest: lr falls to ``min_lr = initial_lr / final_div_factor`` and the
      momentum rises back to ``max_momentum``.

    With ``three_phase=True`` the lr first falls back to ``initial_lr`` symmetrically, and
    only the last phase anneals it to ``min_lr``. Each phase interpolates from ``start`` to
    ``end`` by the fraction ``pct`` of it that has passed, along half a cosine or a line::

        cos:    end + (start - end) (1 + cos(π pct)) / 2
        linear: start + (end - start) pct

    The momentum is the optimiser's ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam).
    The schedule writes ``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum`` and
    ``base_momentum`` into each parameter group.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        max_lr: the peak learning rate (or one per group).
        total_steps: the number of steps of the cycle; or give ``epochs`` and
            ``steps_per_epoch``.
        epochs, steps_per_epoch: positive ints whose product is ``total_steps``.
        pct_start: the fraction of the steps spent warming up, in [0, 1]. Default: 0.3.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        cycle_momentum: cycle the momentum inversely to the lr. Default: True.
        base_momentum, max_momentum: the momentum's range (or one value per group).
            Default: 0.85, 0.95.
        div_factor: ``initial_lr = max_lr / div_factor``. Default: 25.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``. Default: 1e4.
        three_phase: warm up, cool down symmetrically, then anneal. Default: False.
        last_epoch: the index of the last batch; -1 to start afresh.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD, lr_scheduler
        >>> optimizer = SGD([ab.nn.Parameter(ab.zeros(3))], lr=0.1, momentum=0.9)
        >>> scheduler = lr_scheduler.OneCycleLR(
        ...     optimizer, max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear"
        ... )
        >>> lrs, momenta = [], []
        >>> for batch in range(5):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
        ...     momenta.append(round(optimizer.param_groups[0]["momentum"], 4))
        ...     optimizer.step()
        ...     scheduler.step()
        >>> lrs
        [0.04, 1.0, 0.6667, 0.3333, 0.0]
        >>> momenta
        [0.95, 0.85, 0.8833, 0.9167, 0.95]

    See the article docs/articles/learning/learning_rate.py.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        self.total_steps = self._count_steps(total_steps, epochs, steps_per_epoch)
        name = "OneCycleLR"
        require(0 <= pct_start <= 1, name, "pct_start", pct_start, "in [0, 1]")
        strategy = anneal_strategy
        require(strategy in ("cos", "linear"), name, "anneal_strategy", strategy, "cos or linear")
        require(div_factor > 0, name, "div_factor", div_factor, "a positive number")
        require(final_div_factor > 0, name, "final_div_factor", final_div_factor, "> 0")
        self.anneal_strategy = anneal_strategy
        self._schedule_phases = schedule_phases(self.total_steps, pct_start, three_phase)
        max_lrs = per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._set_up_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _count_steps(total_steps, epochs, steps_per_epoch) -> int:
        if total_steps is not None:
            require(is_positive_int(total_steps), "OneCycleLR", "total_steps", total_steps, "> 0")
            return total_steps
        if epochs is None or steps_per_epoch is None:
            raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
        require(is_positive_int(epochs), "OneCycleLR", "epochs", epochs, "a positive int")
        positive = is_positive_int(steps_per_epoch)
        require(positive, "OneCycleLR", "steps_per_epoch", steps_per_epoch, "a positive int")
        return epochs * steps_per_epoch

    def _set_up_momentum(self, optimizer, base_momentum, max_momentum, last_epoch) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                f"OneCycleLR: cycle_momentum=True needs an optimiser with 'momentum' or "
                f"'betas', received {type(optimizer).__name__}; pass cycle_momentum=False"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        max_momenta = per_group("max_momentum", optimizer, max_momentum)
        base_momenta = per_group("base_momentum", optimizer, base_momentum)
        if last_epoch != -1:
            return
        for group, top, bottom in zip(optimizer.param_groups, max_momenta, base_momenta):
            if self.use_beta1:
                group["betas"] = (top, *group["betas"][1:])
            else:
                group["momentum"] = top
            group["max_momentum"] = top
            group["base_momentum"] = bottom

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _phase_at(self, step: int) -> tuple:
        """The phase that ``step`` falls in, and the fraction of that phase gone by."""
        start_step = 0.0
        for i, phase in enumerate(self._schedule_phases):
            end_step = phase["end_step"]
            if step <= end_step or i == len(self._schedule_phases) - 1:
                return phase, (step - start_step) / (end_step - start_step)
            start_step = end_step

    def get_lr(self) -> list:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times, more than total_steps={self.total_steps}"
            )
        phase, pct = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if not self.cycle_momentum:
                continue
            start, end = group[phase["start_momentum"]], group[phase["end_momentum"]]
            momentum = self._anneal(start, end, pct)
            if self.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum
        return lrs
