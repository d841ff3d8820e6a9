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
    if config.model in GRADIENT_FLOW_MODELS:
        extra_sections = [*extra_sections, _gradient_flow(model, data)]
    if config.model in ("snn", "csnn"):  # spiking networks (issue 15): rasters, rates
        from abinitio.cli.snn import report_sections

        extra_sections = [*extra_sections, *report_sections(model, data)]
    return write_report(path, title=f"{config.model} on {config.dataset}", summary=summary,
                        history=history.epochs, test_metrics=metrics,
                        class_names=list(data.classes), misclassified=misclassified,
                        decision_boundary=boundary, extra_sections=extra_sections)  # fmt: skip


# deep convolutional models get a gradient-flow section: |dL/dW| per layer on a test batch
GRADIENT_FLOW_MODELS = ("cnn", "resnet")


def _gradient_flow(model, data):
    """The trained model's gradient flow on (up to) 256 test samples, in eval mode (batch
    norm then uses, and does not change, its running statistics)."""
    from abinitio import tensor
    from abinitio.inspect import gradient_flow
    from abinitio.nn.functional import cross_entropy
    from abinitio.viz.gradients import gradient_flow_section

    x, y = tensor(data.x_test[:256]), tensor(data.y_test[:256])
    model.eval()
    try:
        flow = gradient_flow(model, lambda m: cross_entropy(m(x), y))
    finally:
        model.zero_grad()
    return gradient_flow_section({model.__class__.__name__: flow}, "Gradient flow")


def _predictor(model):
    def predict(points: np.ndarray) -> np.ndarray:
        model.eval()
        with no_grad():
            return model(Tensor(points.astype(np.float32))).numpy().argmax(-1)

    return predict
