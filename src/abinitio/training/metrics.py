"""Classification metrics: accuracy by hand, the rest from ``sklearn.metrics``.

Accuracy is the fraction of samples whose highest-scoring class is the true one. The
confusion matrix C[i, j] counts samples of true class i predicted as j; from it come
per-class precision (of those predicted j, the fraction that are j), recall (of those that
are j, the fraction found) and their harmonic mean F1.
"""

from __future__ import annotations

import numpy as np


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """The arg-max class of each row of logits (or, for a single logit, logit > 0)."""
    if outputs.ndim >= 2 and outputs.shape[-1] > 1:
        return outputs.argmax(axis=-1)
    scores = outputs[..., 0] if outputs.ndim >= 2 else outputs
    return (scores > 0).astype(np.int64)


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of correct arg-max predictions.

    Example:
        >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
        0.5
    """
    return float((predicted_classes(outputs) == targets).mean())


def classification_report(targets: np.ndarray, predictions: np.ndarray, num_classes: int) -> dict:
    """Confusion matrix, per-class and macro precision/recall/F1, and accuracy, as plain
    Python lists and floats (JSON-ready).

    See the article docs/articles/learning/training_loop.py.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = list(range(num_classes))
    matrix = confusion_matrix(targets, predictions, labels=labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predictions, labels=labels, zero_division=0
    )
    return {
        "accuracy": float((targets == predictions).mean()),
        "confusion_matrix": matrix.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": support.tolist(),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
    }
