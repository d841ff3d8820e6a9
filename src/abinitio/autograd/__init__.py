"""Automatic differentiation: the graph nodes (:class:`Function`), the backward pass
(:func:`backward`), the recording switches and :func:`gradcheck`."""

from abinitio.autograd.anomaly import (
    AnomalyError,
    detect_anomaly,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from abinitio.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "Context",
    "backward",
    "gradcheck",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
]


def __getattr__(name):
    # Function, the engine and gradcheck need Tensor, which needs grad_mode from this
    # package: they are loaded on first use to keep the import order one-way.
    if name in ("Function", "Context"):
        from abinitio.autograd import function

        return getattr(function, name)
    if name == "backward":
        from abinitio.autograd.engine import backward

        return backward
    if name == "gradcheck":
        from abinitio.autograd.gradcheck import gradcheck

        return gradcheck
    raise AttributeError(f"module 'abinitio.autograd' has no attribute {name!r}")
