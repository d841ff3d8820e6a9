"""Regression metrics: how far the predictions y_hat are from the true values y.

    MAE  = mean |y - y_hat|                       in the target's units
    RMSE = sqrt(mean (y - y_hat)^2)               in the target's units; punishes outliers
    R^2  = 1 - sum (y - y_hat)^2 / sum (y - mean(y))^2

R^2 is the share of the target's variance the model explains: 1 is perfect, 0 is as good
as always predicting the mean, negative is worse than that. scikit-learn's
``mean_absolute_error``, ``root_mean_squared_error`` and ``r2_score`` are the oracles in
the tests. The Trainer tracks them (``metrics=("mae", "rmse", "r2")``) with running sums,
so a pass over a DataLoader never holds all predictions at once.
"""

from __future__ import annotations

import numpy as np

REGRESSION_METRICS = ("mae", "rmse", "r2")


def regression_report(targets, predictions) -> dict:
    """MAE, RMSE and R^2 of ``predictions`` against ``targets`` (any shapes of equal size),
    plus the number of samples, as plain floats (JSON-ready).

    Example:
        >>> r = regression_report([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
        >>> round(r["mae"], 4), round(r["rmse"], 4), round(r["r2"], 4)
        (0.3333, 0.5774, 0.5)

    See the article docs/articles/data/feature_engineering.py.
    """
    totals = RegressionTotals(REGRESSION_METRICS)
    totals.add(np.asarray(predictions), np.asarray(targets))
    return {**totals.result(), "count": totals.count}


class RegressionTotals:
    """Running sums over batches: n, sum |e|, sum e^2, sum y, sum y^2 (e = y - y_hat), in
    float64; R^2's denominator is sum y^2 - (sum y)^2 / n."""

    def __init__(self, metrics) -> None:
        self.metrics = [m for m in metrics if m in REGRESSION_METRICS]
        self.count, self.abs_error, self.sq_error, self.y, self.y2 = 0, 0.0, 0.0, 0.0, 0.0

    def add(self, outputs, targets) -> None:
        if not self.metrics:
            return
        outputs = outputs.detach().numpy() if hasattr(outputs, "detach") else outputs
        targets = targets.numpy() if hasattr(targets, "numpy") else targets
        y = np.asarray(targets, dtype=np.float64).reshape(-1)
        error = y - np.asarray(outputs, dtype=np.float64).reshape(-1)
        self.count += y.size
        self.abs_error += float(np.abs(error).sum())
        self.sq_error += float((error * error).sum())
        self.y += float(y.sum())
        self.y2 += float((y * y).sum())

    def result(self) -> dict:
        if not self.count:
            return {}
        n = self.count
        total = self.y2 - self.y * self.y / n  # sum (y - mean y)^2
        values = {"mae": self.abs_error / n, "rmse": float(np.sqrt(self.sq_error / n)),
                  "r2": 1.0 - self.sq_error / total if total > 0 else float("nan")}  # fmt: skip
        return {name: values[name] for name in self.metrics}
