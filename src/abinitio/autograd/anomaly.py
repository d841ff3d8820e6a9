"""Anomaly detection: find the operation where a NaN or an infinity is born.

A loss that turns NaN says nothing about where it came from: one ``log(0)``, one
``sqrt(-1)`` or one overflowing ``exp`` deep in a model poisons every value computed after
it. With anomaly detection on, every primitive checks what it produced, in the forward and
in the backward pass, and the first one that *creates* a NaN or an infinity from finite
inputs raises :class:`AnomalyError`, naming the primitive, the shapes of its inputs and the
line of your code that called it::

    with ab.autograd.detect_anomaly():
        loss = model(x).log().mean()     # AnomalyError: Log produced -inf ... at train.py:12
        loss.backward()

Values that are already infinite on the way in (a ``masked_fill(mask, -inf)`` attention
mask, say) are passed on without complaint: only new ones are anomalies. The checks cost a
pass over every array, so the mode is off by default; it is a thread-local switch, as in
PyTorch (``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``).
"""

from __future__ import annotations

import os
import threading
import traceback

import numpy as np

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _AnomalyState(threading.local):
    enabled = False


_state = _AnomalyState()


class AnomalyError(RuntimeError):
    """A primitive produced NaN or infinite values from finite inputs (anomaly mode).

    Attributes: ``op`` (the primitive, e.g. ``"Log"`` or ``"LogBackward"``), ``shapes`` (its
    inputs' shapes) and ``where`` (``"file:line in function: code"`` of the user's call that
    created the operation, or ``None``).

    See the article docs/articles/learning/backpropagation.py.
    """

    def __init__(self, op: str, produced: str, shapes: list, where: str | None) -> None:
        self.op, self.shapes, self.where = op, shapes, where
        site = f", created at {where}" if where else ""
        super().__init__(
            f"{op} produced {produced} from finite inputs (input shapes: "
            f"{', '.join(map(str, shapes))}){site}"
        )


def is_anomaly_enabled() -> bool:
    """True while operations check their results for new NaN and infinite values."""
    return _state.enabled


def set_detect_anomaly(mode: bool) -> None:
    """Switch anomaly detection on or off for this thread (``torch.autograd``'s name)."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_detect_anomaly: expected True or False, got {mode!r}")
    _state.enabled = mode


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside its block.

    See the article docs/articles/learning/backpropagation.py.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self.check_nan
        return self

    def __exit__(self, *exc_info):
        _state.enabled = self._previous
        return False

    def __call__(self, function):
        def wrapped(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return function(*args, **kwargs)

        wrapped.__name__, wrapped.__doc__ = function.__name__, function.__doc__
        return wrapped


def user_call_site() -> str | None:
    """The innermost stack frame outside abinitio: the line of user code being run."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return None


def _non_finite(array) -> str | None:
    """``"nan"``, ``"inf"`` or ``"nan and inf"`` when a float array holds them, else None."""
    if not isinstance(array, np.ndarray) and not hasattr(array, "dtype"):
        return None
    if array.dtype.kind not in "fc" or bool(np.isfinite(array).all()):
        return None
    has_nan, has_inf = bool(np.isnan(array).any()), bool(np.isinf(array).any())
    return " and ".join(word for word, flag in (("nan", has_nan), ("inf", has_inf)) if flag)


def _all_finite(values) -> bool:
    return all(_non_finite(np.asarray(v) if np.isscalar(v) else v) is None for v in values)


def check_forward(fn, arrays, output, where: str | None) -> None:
    """Raise if ``fn``'s forward made NaN/inf out of finite inputs."""
    produced = _non_finite(output)
    if produced and _all_finite(arrays):
        shapes = [getattr(a, "shape", type(a).__name__) for a in arrays]
        raise AnomalyError(fn.__name__, produced, shapes, where or user_call_site())


def check_backward(ctx, grad_output, input_grads) -> None:
    """Raise if ``ctx``'s backward made NaN/inf gradients out of a finite gradient."""
    if not _all_finite([grad_output]):
        return
    for i, grad in enumerate(input_grads):
        produced = None if grad is None else _non_finite(grad)
        if produced:
            shapes = [getattr(getattr(x, "array", x), "shape", type(x).__name__)
                      for x in ctx.inputs]  # fmt: skip
            where = getattr(ctx, "created_at", None)
            raise AnomalyError(f"{ctx.name()} (gradient of input {i})", produced, shapes, where)
