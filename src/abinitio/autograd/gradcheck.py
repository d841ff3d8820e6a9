"""``gradcheck``: does backpropagation agree with finite differences?

For a function f and inputs x, backprop gives J^T v, the vector-Jacobian product for a
random vector v. The same quantity follows from central differences, one input element
at a time, without any derivative rules:

    (J^T v)_i  ~  (v . f(x + eps e_i) - v . f(x - eps e_i)) / (2 eps)

with an error of order eps^2. The check runs in float64, where eps = 1e-6 leaves about ten
correct digits. A wrong backward changes J^T v for almost every v, so one random v is
enough to catch it. Learners can use this on their own layers.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.backend import contiguous, to_numpy
from abinitio.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when backprop and finite differences disagree.

    See the article docs/articles/learning/backpropagation.py.
    """


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Compare the gradients backprop gives for ``fn(*inputs)`` with finite differences.

    Inputs that require grad are checked element by element in float64: float64 tensors
    are used as they are (so a module's parameters can be passed after ``.double()``;
    their values and ``.grad`` are restored afterwards), other float tensors are copied.

    Returns:
        True when every element satisfies |backprop - numerical| <= atol + rtol * |numerical|.

    Raises:
        GradcheckError: naming the input, the worst element's index and both values
        (or returns False when ``raise_exception=False``).

    Example:
        >>> import abinitio as ab
        >>> x = ab.randn(3, 4, dtype=ab.float64, requires_grad=True)
        >>> ab.gradcheck(lambda t: (t.tanh() * t).sum(dim=1), (x,))
        True

    See the article docs/articles/learning/backpropagation.py.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    inputs = tuple(_as_float64(x) for x in inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass tensors with requires_grad=True")
    saved_grads = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    try:
        return _check(fn, inputs, checked, eps, atol, rtol, raise_exception, seed)
    finally:
        for i, grad in zip(checked, saved_grads):
            inputs[i].grad = grad


def _check(fn, inputs, checked, eps, atol, rtol, raise_exception, seed) -> bool:
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    _backprop(outputs, directions)
    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else to_numpy(x.grad.array)
        numerical = _numerical_gradient(fn, inputs, x, directions, eps)
        error = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
        if error.size and (error.max() > 0 or not np.isfinite(analytic).all()):
            error = np.where(np.isfinite(error), error, np.inf)
            worst = tuple(int(i) for i in np.unravel_index(np.argmax(error), x.shape))
            message = (
                f"gradcheck failed for input {i} (shape {x.shape}) at index {worst}: "
                f"backprop gives {analytic[worst]:.8g}, finite differences give "
                f"{numerical[worst]:.8g} (tolerance atol={atol} + rtol={rtol} * |numerical|)"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _as_float64(x):
    if not isinstance(x, Tensor) or x.dtype == np.float64:
        return x
    data = np.array(to_numpy(x.array), dtype=np.float64 if x.dtype.kind == "f" else x.dtype)
    return Tensor(data, requires_grad=x.requires_grad, dtype=data.dtype)


def _as_tuple(outputs) -> tuple:
    outputs = tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)
    return tuple(o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == "f")


def _backprop(outputs, directions) -> None:
    total = None
    for output, v in zip(outputs, directions):
        if output.requires_grad:
            term = (output * Tensor(v, dtype=np.float64)).sum()
            total = term if total is None else total + term
    if total is None:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    total.backward()


def _numerical_gradient(fn, inputs, x, directions, eps):
    x.array = contiguous(x.array)
    flat = x.array.reshape(-1)  # a view: writing it perturbs x
    gradient = np.zeros(flat.size)
    with no_grad():
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = _project(fn(*inputs), directions)
            flat[j] = original - eps
            minus = _project(fn(*inputs), directions)
            flat[j] = original
            gradient[j] = (plus - minus) / (2 * eps)
    return gradient.reshape(x.shape)


def _project(outputs, directions) -> float:
    return float(sum(np.sum(to_numpy(o.array) * v) for o, v in zip(_as_tuple(outputs), directions)))
