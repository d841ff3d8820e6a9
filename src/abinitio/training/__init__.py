"""Training: the :class:`Trainer` loop, callbacks, metrics, history and checkpoints."""

from abinitio.training.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ProgressBar,
)
from abinitio.training.checkpoint import CheckpointMismatchError, load_checkpoint, save_checkpoint
from abinitio.training.history import History
from abinitio.training.metrics import accuracy, classification_report
from abinitio.training.regression import regression_report
from abinitio.training.trainer import Trainer, TrainingDiverged, TrainingInterrupted

__all__ = [name for name in dir() if not name.startswith("_")]
