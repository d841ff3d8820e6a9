"""``Trainer``: the training loop, written once.

Every step is the same five lines a PyTorch user writes by hand::

    optimizer.zero_grad()            # forget the previous step's gradients
    loss = loss_fn(model(x), y)      # forward pass
    loss.backward()                  # backward pass: dL/dw for every weight w
    optimizer.step()                 # w <- w - lr * (a function of dL/dw)

Around it the Trainer adds what a real run needs: epochs over a DataLoader, validation,
metrics, a history, callbacks (early stopping, learning-rate schedules, a progress bar),
gradient clipping, a check that the loss is still finite, and a checkpoint after every
epoch from which ``fit(..., resume=True)`` continues bit for bit.
"""

from __future__ import annotations

import math
import time

import numpy as np

from abinitio.autograd.anomaly import AnomalyError, detect_anomaly
from abinitio.autograd.grad_mode import no_grad
from abinitio.nn.utils import clip_grad_norm_
from abinitio.training import checkpoint
from abinitio.training.callbacks import Callback, ProgressBar
from abinitio.training.history import History
from abinitio.training.metrics import predicted_classes
from abinitio.training.regression import REGRESSION_METRICS, RegressionTotals


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept.

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, epoch: int, step: int, loss: float, lr: float,
                 where: str | None = None) -> None:  # fmt: skip
        self.epoch, self.step, self.loss, self.lr, self.where = epoch, step, loss, lr, where
        origin = f" It arose here: {where}." if where else ""
        super().__init__(
            f"training diverged: the loss became {loss} at epoch {epoch}, step {step} "
            f"(learning rate {lr:g}).{origin} The last good checkpoint (if any) was kept; "
            f"try a lower learning rate, e.g. {lr / 10:g}, or gradient clipping."
        )


class TrainingInterrupted(RuntimeError):
    """Training was stopped by the user (Ctrl-C); ``epoch`` epochs are in the checkpoint.

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, epoch: int, checkpoint_dir) -> None:
        self.epoch, self.checkpoint_dir = epoch, checkpoint_dir
        where = f"resume from {checkpoint_dir}" if checkpoint_dir else "no checkpoint was kept"
        super().__init__(f"interrupted after {epoch} complete epoch(s); {where}")


class Trainer:
    """Trains ``model`` with ``optimizer`` to minimise ``loss_fn(model(x), y)``.

    Args:
        model, optimizer, loss_fn: as in a hand-written PyTorch loop.
        metrics: names of metrics to track besides the loss (``"accuracy"``; for
            regression ``"mae"``, ``"rmse"``, ``"r2"``).
        callbacks: :class:`~abinitio.training.callbacks.Callback` objects.
        grad_clip_norm: clip the joint gradient norm to this value before each step.
        checkpoint_dir: write ``checkpoint.safetensors`` there after every epoch.
        progress: show a progress bar (tqdm) during each epoch.
        log: where epoch summaries go (``print`` by default; ``None`` for silence).

    Example:
        >>> import abinitio as ab, abinitio.optim
        >>> from abinitio.data import DataLoader, TensorDataset
        >>> x, y = ab.randn(64, 2), ab.randint(0, 2, (64,))
        >>> model = ab.nn.Linear(2, 2)
        >>> trainer = Trainer(model, ab.optim.SGD(model.parameters(), lr=0.1),
        ...                   ab.nn.CrossEntropyLoss(), progress=False, log=None)
        >>> history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=16), epochs=2)
        >>> len(history), sorted(history.epochs[0])
        (2, ['epoch', 'lr', 'seconds', 'train_accuracy', 'train_loss'])

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, model, optimizer, loss_fn, *, metrics=("accuracy",), callbacks=(),
                 grad_clip_norm: float | None = None, checkpoint_dir=None,
                 progress: bool = True, log=print) -> None:  # fmt: skip
        unknown = set(metrics) - {"accuracy", *REGRESSION_METRICS}
        if unknown:
            raise ValueError(
                f"Trainer: unknown metrics {sorted(unknown)}; available: accuracy, mae, rmse, r2"
            )
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.metrics = tuple(metrics)
        # the bar first: it closes at the end of an epoch before other callbacks print
        self.callbacks = ([ProgressBar()] if progress else []) + list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"Trainer: {callback!r} is not a Callback")
        self.grad_clip_norm, self.checkpoint_dir = grad_clip_norm, checkpoint_dir
        self._log = log
        self.history = History()
        self.stop_training = False
        self.epochs = self.steps_per_epoch = self.global_step = 0

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # ---- fitting ---------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs: int = 1, resume: bool = False) -> History:
        """Train for ``epochs`` epochs in total (counting those of a resumed run)."""
        if epochs < 0:
            raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
        self.epochs, self.steps_per_epoch = epochs, len(train_loader)
        first_epoch = self._resume() + 1 if resume else 1
        self.stop_training = False
        for callback in self.callbacks:
            callback.on_fit_start(self)
        epoch = first_epoch - 1
        try:
            for epoch in range(first_epoch, epochs + 1):
                self._run_epoch(epoch, train_loader, val_loader)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            raise TrainingInterrupted(len(self.history), self.checkpoint_dir) from None
        for callback in self.callbacks:
            callback.on_fit_end(self)
        return self.history

    def _resume(self) -> int:
        if self.checkpoint_dir is None:
            raise ValueError("fit(resume=True) needs the Trainer's checkpoint_dir")
        state = checkpoint.load_checkpoint(self.checkpoint_dir)
        checkpoint.restore(state, model=self.model, optimizer=self.optimizer,
                           callbacks=self.callbacks)  # fmt: skip
        self.history = History(state["history"])
        self.global_step = state["epoch"] * self.steps_per_epoch
        self.log(f"resumed from {self.checkpoint_dir} after epoch {state['epoch']}")
        return state["epoch"]

    def _run_epoch(self, epoch: int, train_loader, val_loader) -> None:
        started = time.perf_counter()
        for callback in self.callbacks:
            callback.on_epoch_start(self, epoch)
        lr = self.optimizer.param_groups[0]["lr"]
        record = {"epoch": epoch, **self._train_epoch(epoch, train_loader)}
        if val_loader is not None:
            record.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
        record["lr"] = lr
        record["seconds"] = time.perf_counter() - started
        self.history.append(record)
        for callback in self.callbacks:
            callback.on_epoch_end(self, epoch, record)
        if self.checkpoint_dir is not None:
            checkpoint.save_checkpoint(self.checkpoint_dir, epoch=epoch, model=self.model,
                                       optimizer=self.optimizer, callbacks=self.callbacks,
                                       history=self.history)  # fmt: skip
        self.log(_summary(record, self.epochs))

    def _train_epoch(self, epoch: int, loader) -> dict:
        self.model.train()
        totals = _Totals(self.metrics)
        for step, (inputs, targets) in enumerate(loader, 1):
            self.optimizer.zero_grad()
            outputs = self.model(inputs)
            loss = self.loss_fn(outputs, targets)
            value = loss.item()
            if not math.isfinite(value):
                lr = self.optimizer.param_groups[0]["lr"]
                where = self._first_non_finite(inputs, targets)
                raise TrainingDiverged(epoch, step, value, lr, where)
            loss.backward()
            if self.grad_clip_norm is not None:
                clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
            self.optimizer.step()
            self.global_step += 1
            totals.add(value, outputs, targets)
            for callback in self.callbacks:
                callback.on_batch_end(self, self.global_step, value)
        return {f"train_{k}": v for k, v in totals.result().items()}

    def _first_non_finite(self, inputs, targets) -> str | None:
        """Where a non-finite loss came from: a parameter that already holds NaN/inf, or
        the first operation that made one, found by re-running this batch's forward pass
        under anomaly detection (training stops here, so the extra pass costs nothing)."""
        for name, parameter in self.model.named_parameters():
            if not np.isfinite(parameter.array).all():
                return f"parameter {name!r} holds non-finite values before this step"
        try:
            with detect_anomaly(), no_grad():
                self.loss_fn(self.model(inputs), targets)
        except AnomalyError as error:
            return str(error)
        return None

    # ---- evaluating ------------------------------------------------------------------
    def evaluate(self, loader) -> dict:
        """Mean loss (and metrics) over ``loader`` in eval mode, without a graph."""
        self.model.eval()
        totals = _Totals(self.metrics)
        with no_grad():
            for inputs, targets in loader:
                outputs = self.model(inputs)
                totals.add(self.loss_fn(outputs, targets).item(), outputs, targets)
        return totals.result()

    def predict(self, loader) -> tuple[np.ndarray, np.ndarray]:
        """The model's outputs for every batch of ``loader``, and the targets, as arrays."""
        self.model.eval()
        outputs, targets = [], []
        with no_grad():
            for batch_inputs, batch_targets in loader:
                outputs.append(self.model(batch_inputs).numpy())
                targets.append(np.asarray(batch_targets))
        return np.concatenate(outputs), np.concatenate(targets)


class _Totals:
    """Sample-weighted running sums of the loss and metrics over one pass."""

    def __init__(self, metrics) -> None:
        self.metrics, self.loss, self.correct, self.count, self.scored = metrics, 0.0, 0, 0, 0
        self.regression = RegressionTotals(metrics)  # MAE, RMSE, R^2 when asked for

    def add(self, loss: float, outputs, targets) -> None:
        n = len(targets)
        self.loss += loss * n
        self.count += n
        if "accuracy" in self.metrics:
            target_array = np.asarray(targets)
            if target_array.dtype.kind in "iu":
                predictions = predicted_classes(outputs.detach().numpy())
                self.correct += int((predictions == target_array).sum())
                self.scored += target_array.size
        self.regression.add(outputs, targets)

    def result(self) -> dict:
        result = {"loss": self.loss / max(self.count, 1)}
        if "accuracy" in self.metrics and self.scored:
            result["accuracy"] = self.correct / self.scored
        result.update(self.regression.result())
        return result


def _summary(record: dict, epochs: int) -> str:
    parts = [f"epoch {record['epoch']}/{epochs}"]
    for name, value in record.items():
        if name in ("epoch", "seconds", "lr"):
            continue
        parts.append(f"{name} {value:.2%}" if "accuracy" in name else f"{name} {value:.4f}")
    parts.append(f"lr {record['lr']:.3g}")
    parts.append(f"({record['seconds']:.1f} s)")
    return "  ".join(parts)
