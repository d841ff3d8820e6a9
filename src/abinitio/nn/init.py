"""Weight initialisation: where training starts from.

Signals must neither shrink nor blow up as they pass through many layers. For a layer
y = W x with n_in inputs of variance v, each output has variance n_in * Var(W) * v, so

* **Xavier/Glorot** (2010) picks Var(W) = 2 / (fan_in + fan_out): a compromise that keeps
  both the forward signal and the backward gradient steady, for tanh/sigmoid layers;
* **He/Kaiming** (2015) picks Var(W) = 2 / fan_in: ReLU zeroes half of its inputs, so the
  variance is doubled to compensate.

``calculate_gain`` gives the factor each nonlinearity needs. Every function fills the
tensor in place, without recording a graph, draws from :mod:`abinitio.random` (or
``generator=``), and returns the tensor.

See the article docs/articles/neurons/weight_initialisation.py.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.random import numpy_generator

_LINEAR_LIKE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d", "sigmoid")  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale the standard deviation for a nonlinearity:
    1 for linear/sigmoid, 5/3 for tanh, sqrt(2) for ReLU, sqrt(2 / (1 + a^2)) for leaky
    ReLU with slope a (default 0.01), 3/4 for SELU.

    Example:
        >>> round(calculate_gain("relu"), 4)
        1.4142

    See the article docs/articles/neurons/weight_initialisation.py.
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    valid = ", ".join(_LINEAR_LIKE + ("tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of {valid}"
    )


def calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """fan_in = inputs per output unit, fan_out = outputs per input unit. For a weight of
    shape (out, in, *kernel) they are in * prod(kernel) and out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dims, got shape {tensor.shape}"
        )
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out  # PyTorch's spelling


def _fill(tensor, values):
    with no_grad():
        tensor.array[...] = values
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with samples from U(a, b)."""
    return _fill(tensor, numpy_generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with samples from N(mean, std^2)."""
    return _fill(tensor, numpy_generator(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples from N(mean, std^2) conditioned on lying in [a, b].

    By inverting the CDF, as PyTorch does: with alpha = (a - mean) / std and
    beta = (b - mean) / std, draw u ~ U(Phi(alpha), Phi(beta)) and return
    mean + std * Phi^-1(u). One draw per element, so it cannot loop, however far [a, b]
    lies from the mean (redrawing until a sample lands inside would take ~1e15 draws for
    [8, 9] standard deviations). The interval is reflected into the lower tail first,
    where Phi's small values are exact in float64; beyond ~37 standard deviations, where
    even those underflow, the density exp(-x^2 / 2) is, to float precision, an exponential
    of rate alpha, which is drawn instead.
    """
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std}")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    rng = numpy_generator(generator)
    low, high = (a - mean) / std, (b - mean) / std
    flip = low > -high  # most of the mass at the upper end: work in the mirrored lower tail
    if flip:
        low, high = -high, -low
    p_low, p_high = _standard_normal_cdf(low), _standard_normal_cdf(high)
    if p_high > 0:
        z = _standard_normal_quantile(rng.uniform(p_low, p_high, size=tensor.shape))
    else:  # both ends beyond ~37 sigma below the mean: an exponential tail from `high`
        rate = -high
        z = high - rng.exponential(1 / rate, size=tensor.shape)
    z = np.clip(-z if flip else z, -high if flip else low, -low if flip else high)
    return _fill(tensor, mean + std * z)


def _standard_normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _standard_normal_quantile(p):
    """Phi^-1(p) for an array of p in (0, 1): Acklam's rational approximation (relative
    error below 1.2e-9), a central fit for 0.02425 <= p <= 0.97575 and tail fits outside."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)  # fmt: skip
    p = np.clip(np.asarray(p, dtype=np.float64), np.finfo(np.float64).tiny, 1 - 2**-53)
    tail = np.minimum(p, 1 - p)
    q = np.sqrt(-2 * np.log(tail))  # the tail fit, sign-corrected below
    z_tail = _poly(c, q) / (_poly(d, q) * q + 1)
    z_tail = np.where(p < 0.5, z_tail, -z_tail)
    r = (p - 0.5) ** 2
    z_central = (p - 0.5) * _poly(a, r) / (_poly(b, r) * r + 1)
    return np.where(tail < 0.02425, z_tail, z_central)


def _poly(coefficients, x):
    """c0 x^(n-1) + ... + c_(n-1), by Horner's rule."""
    result = np.zeros_like(x)
    for coefficient in coefficients:
        result = result * x + coefficient
    return result


def constant_(tensor, val: float):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def eye_(tensor):
    """The identity matrix (for a 2-D tensor)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)),
    so that Var = 2 gain^2 / (fan_in + fan_out).

    See the article docs/articles/neurons/weight_initialisation.py.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    See the article docs/articles/neurons/weight_initialisation.py.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor, a: float = 0, mode="fan_in", nonlinearity="leaky_relu", generator=None
):
    """U(-b, b) with b = gain * sqrt(3 / fan), so Var = gain^2 / fan (He et al. 2015).

    See the article docs/articles/neurons/weight_initialisation.py.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al. 2015).

    See the article docs/articles/neurons/weight_initialisation.py.
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the QR decomposition of
    a Gaussian matrix, with signs fixed so the result is uniformly distributed."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected at least 2 dims, got shape {tensor.shape}")
    rows, cols = tensor.shape[0], int(np.prod(tensor.shape[1:]))
    flat = numpy_generator(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))
