"""The ``report.html`` of a training run: what :mod:`abinitio.viz.report` draws, fed with
the run's history, test metrics, mistakes and (for 2-D data) decision boundary."""

from __future__ import annotations

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.tensor import Tensor


def write_run_report(path, config, data, model, history, results, report, predictions,
                     extra_sections=()) -> str:  # fmt: skip
    from abinitio.viz import write_report

    summary = {
        "model": config.model,
        "dataset": config.dataset,
        "parameters": f"{results['parameters']:,}",
        "epochs": results["epochs_run"],
        "optimizer": f"{config.optimizer} (lr {config.lr:g}, weight decay {config.weight_decay:g})",
        "batch size": config.batch_size,
        "seed": config.seed,
        "test accuracy": f"{results['test_accuracy']:.2%}",
        "test loss": f"{results['test_loss']:.4f}",
    }
    wrong = predictions != data.y_test
    misclassified = (data.x_test[wrong], data.y_test[wrong], predictions[wrong])
    boundary = None
    if tuple(data.input_shape) == (2,):
        boundary = (_predictor(model), data.x_test, data.y_test)
    metrics = {**report, "loss": results["test_loss"]}
    return write_report(path, title=f"{config.model} on {config.dataset}", summary=summary,
                        history=history.epochs, test_metrics=metrics,
                        class_names=list(data.classes), misclassified=misclassified,
                        decision_boundary=boundary, extra_sections=extra_sections)  # fmt: skip


def _predictor(model):
    def predict(points: np.ndarray) -> np.ndarray:
        model.eval()
        with no_grad():
            return model(Tensor(points.astype(np.float32))).numpy().argmax(-1)

    return predict
