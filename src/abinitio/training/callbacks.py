"""Callbacks: code that runs at fixed points of training (Keras' idea), so the loop itself
stays short. Each may keep state; ``state_dict`` makes it part of checkpoints."""

from __future__ import annotations

import math
import sys

from abinitio.optim.plateau import ReduceLROnPlateau
from abinitio.training.history import resolve_mode


class Callback:
    """Override any of the hooks. ``trainer.stop_training = True`` ends training after the
    current epoch.

    See the article docs/articles/learning/training_loop.py.
    """

    def on_fit_start(self, trainer) -> None:
        pass

    def on_epoch_start(self, trainer, epoch: int) -> None:
        pass

    def on_batch_end(self, trainer, step: int, loss: float) -> None:
        pass

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        pass

    def on_fit_end(self, trainer) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    optionally put back the weights of the best epoch.

    Example:
        >>> stopper = EarlyStopping(monitor="val_loss", patience=2)
        >>> stopper.mode
        'min'

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:  # fmt: skip
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.mode = resolve_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.best, self.best_epoch, self.wait, self.best_weights = None, 0, 0, None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the epoch's metrics "
                f"{sorted(logs)}"
            )
        value = logs[self.monitor]
        if math.isfinite(value) and self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {
                    k: v.numpy().copy() for k, v in trainer.model.state_dict().items()
                }
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop_training = True
            trainer.log(
                f"early stopping: {self.monitor} has not improved for {self.wait} epochs "
                f"(best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def on_fit_end(self, trainer) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]


class LearningRateScheduler(Callback):
    """Step an ``optim.lr_scheduler`` scheduler after every epoch (``interval="epoch"``)
    or every batch (``"step"``). ``ReduceLROnPlateau`` is stepped with ``monitor``.

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, scheduler, interval: str = "epoch", monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(
                f"LearningRateScheduler: interval must be 'epoch' or 'step', got {interval!r}"
            )
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor
        self.needs_metric = isinstance(scheduler, ReduceLROnPlateau)

    def on_batch_end(self, trainer, step: int, loss: float) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self.interval != "epoch":
            return
        if self.needs_metric:
            self.scheduler.step(logs[self.monitor])
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)


class ProgressBar(Callback):
    """A tqdm progress bar per epoch showing the running loss, on a terminal only.

    When the output is not a terminal (a pipe, a log file, CI), or without tqdm, there is
    no bar: the trainer's one line per epoch is the whole log, with no half-drawn bars
    (``epoch 26/30:  0%|  | 0/21``) left between the lines.

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, file=None) -> None:
        self.file, self.bar = file, None

    def on_epoch_start(self, trainer, epoch: int) -> None:
        if not _is_terminal(self.file if self.file is not None else sys.stderr):
            return
        if not _is_terminal(sys.stdout):  # epoch lines go there: a bar would split them
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # progress is a nicety: train without it
            return
        total = trainer.steps_per_epoch
        self.bar = tqdm(total=total, desc=f"epoch {epoch}/{trainer.epochs}", file=self.file,
                        leave=False, dynamic_ncols=True)  # fmt: skip

    def on_batch_end(self, trainer, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False

