"""``History``: what happened in each epoch of a training run."""

from __future__ import annotations

import math


class History:
    """Per-epoch records of a run: ``history.epochs`` is a list of dicts (one per epoch,
    e.g. ``{"epoch": 1, "train_loss": 0.41, "val_accuracy": 0.93, "lr": 0.01}``) and
    ``history.history`` the same numbers as lists by name, as in Keras.

    Example:
        >>> h = History()
        >>> h.append({"epoch": 1, "val_loss": 0.5}); h.append({"epoch": 2, "val_loss": 0.3})
        >>> h.history["val_loss"], h.best("val_loss")["epoch"]
        ([0.5, 0.3], 2)

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, epochs: list | None = None) -> None:
        self.epochs = [dict(record) for record in epochs or []]

    def append(self, record: dict) -> None:
        self.epochs.append(dict(record))

    @property
    def history(self) -> dict:
        names = []
        for record in self.epochs:
            names += [name for name in record if name not in names]
        return {name: [record.get(name, math.nan) for record in self.epochs] for name in names}

    def best(self, monitor: str, mode: str = "auto") -> dict | None:
        """The epoch record with the best ``monitor`` value (lowest loss, highest others)."""
        records = [r for r in self.epochs if monitor in r and math.isfinite(r[monitor])]
        if not records:
            return None
        maximise = resolve_mode(monitor, mode) == "max"
        return (max if maximise else min)(records, key=lambda r: r[monitor])

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        return f"History({len(self.epochs)} epochs)"


def resolve_mode(monitor: str, mode: str) -> str:
    """ "auto" means "min" for losses and errors, "max" for everything else."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "min" if ("loss" in monitor or "error" in monitor) else "max"
