"""Surrogate gradients: what the backward pass uses for dS/dU, where S = H(U - theta).

The spike is an exact step in the forward pass. Its true derivative is 0 everywhere but at
the threshold, so no gradient would ever reach a weight. A surrogate keeps the step and, in
the backward pass only, uses the derivative of a smooth function that looks like it
(Neftci, Mostafa & Zenke 2019). As in snnTorch, each factory returns a callable that is
passed as ``spike_grad=``::

    lif = snn.Leaky(beta=0.9, spike_grad=surrogate.fast_sigmoid(slope=25))

With u = U - theta, the derivatives (snnTorch's formulas, checked against it in the tests):

    fast_sigmoid(slope=k)          dS/du = 1 / (1 + k |u|)^2
    atan(alpha=a)                  dS/du = (a / 2) / (1 + (pi a u / 2)^2)
    sigmoid(slope=k)               dS/du = k sigmoid(k u) (1 - sigmoid(k u))
    spike_rate_escape(beta, slope) dS/du = slope * exp(-beta |u - 1|)
    straight_through_estimator()   dS/du = 1
    heaviside()                    dS/du = H(u)            (the spike itself)
    triangular(width=w)            dS/du = max(0, 1 - |u| / w) / w

``triangular`` is the triangle of Esser et al. (2016) and Bellec et al. (2018), whose area
is 1. snnTorch's ``triangular`` is a different function (+theta below the threshold and
-theta above it), which this module does not copy.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.ops.spike import spike


class Surrogate:
    """A spike function S = H(u) whose backward pass uses ``derivative(u)``.

    Subclasses define ``derivative(u)`` on NumPy arrays; calling the object on a Tensor
    ``u = U - theta`` returns the spikes.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "surrogate"

    def derivative(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define derivative(u)")

    def __call__(self, u):
        return spike(u, self)

    def parameters(self) -> dict:
        return {}

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.parameters().items())
        return f"{self.name}({options})"


class FastSigmoid(Surrogate):
    """dS/du = 1 / (1 + k |u|)^2, the derivative of u / (1 + k |u|) (SuperSpike, Zenke &
    Ganguli 2018).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "fast_sigmoid"

    def __init__(self, slope: float = 25.0) -> None:
        self.slope = _positive("fast_sigmoid", "slope", slope)

    def derivative(self, u):
        d = 1 + self.slope * np.abs(u)
        return 1 / (d * d)

    def parameters(self) -> dict:
        return {"slope": self.slope}


class ATan(Surrogate):
    """dS/du = (a / 2) / (1 + (pi a u / 2)^2), the derivative of arctan(pi a u / 2) / pi
    (Fang et al. 2021); snnTorch's default.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "atan"

    def __init__(self, alpha: float = 2.0) -> None:
        self.alpha = _positive("atan", "alpha", alpha)

    def derivative(self, u):
        z = (math.pi / 2 * self.alpha) * u
        return (self.alpha / 2) / (1 + z * z)

    def parameters(self) -> dict:
        return {"alpha": self.alpha}


class Sigmoid(Surrogate):
    """dS/du = k sigmoid(k u) (1 - sigmoid(k u)), the derivative of sigmoid(k u).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "sigmoid"

    def __init__(self, slope: float = 25.0) -> None:
        self.slope = _positive("sigmoid", "slope", slope)

    def derivative(self, u):
        # sigmoid'(z) = e / (1 + e)^2 with e = exp(-|z|): even in z, and accurate in the
        # tails, where s (1 - s) would lose every digit to 1 - s
        e = np.exp(-np.abs(self.slope * u))
        return self.slope * e / ((1 + e) * (1 + e))

    def parameters(self) -> dict:
        return {"slope": self.slope}


class Triangular(Surrogate):
    """dS/du = max(0, 1 - |u| / w) / w: a triangle of half-width w and area 1.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "triangular"

    def __init__(self, width: float = 1.0) -> None:
        self.width = _positive("triangular", "width", width)

    def derivative(self, u):
        return np.maximum(0, 1 - np.abs(u) / self.width) / self.width

    def parameters(self) -> dict:
        return {"width": self.width}


class StraightThroughEstimator(Surrogate):
    """dS/du = 1: the gradient passes the step unchanged (Bengio et al. 2013).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "straight_through_estimator"

    def derivative(self, u):
        return np.ones_like(u)


class Heaviside(Surrogate):
    """dS/du = H(u): only neurons that spiked pass a gradient (snnTorch's ``heaviside``).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "heaviside"

    def derivative(self, u):
        return (u > 0).astype(u.dtype)


class SpikeRateEscape(Surrogate):
    """dS/du = slope * exp(-beta |u - 1|), an escape-noise rate (Gerstner & Kistler 2002),
    as snnTorch writes it.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    name = "spike_rate_escape"

    def __init__(self, beta: float = 1.0, slope: float = 25.0) -> None:
        self.beta = _positive("spike_rate_escape", "beta", beta)
        self.slope = _positive("spike_rate_escape", "slope", slope)

    def derivative(self, u):
        return self.slope * np.exp(-self.beta * np.abs(u - 1))

    def parameters(self) -> dict:
        return {"beta": self.beta, "slope": self.slope}


def _positive(where: str, name: str, value) -> float:
    value = float(value)
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"surrogate.{where}: {name} must be a positive number, got {value}")
    return value


def fast_sigmoid(slope: float = 25.0) -> FastSigmoid:
    """The fast-sigmoid surrogate, dS/du = 1 / (1 + slope |u|)^2."""
    return FastSigmoid(slope)


def atan(alpha: float = 2.0) -> ATan:
    """The arctangent surrogate, dS/du = (alpha / 2) / (1 + (pi alpha u / 2)^2)."""
    return ATan(alpha)


def sigmoid(slope: float = 25.0) -> Sigmoid:
    """The sigmoid surrogate, dS/du = slope sigmoid(slope u) (1 - sigmoid(slope u))."""
    return Sigmoid(slope)


def triangular(width: float = 1.0) -> Triangular:
    """The triangular surrogate, dS/du = max(0, 1 - |u| / width) / width."""
    return Triangular(width)


def straight_through_estimator() -> StraightThroughEstimator:
    """The straight-through estimator, dS/du = 1."""
    return StraightThroughEstimator()


def heaviside() -> Heaviside:
    """dS/du = H(u)."""
    return Heaviside()


def spike_rate_escape(beta: float = 1.0, slope: float = 25.0) -> SpikeRateEscape:
    """dS/du = slope exp(-beta |u - 1|)."""
    return SpikeRateEscape(beta, slope)


FACTORIES = {
    "fast_sigmoid": fast_sigmoid,
    "atan": atan,
    "sigmoid": sigmoid,
    "triangular": triangular,
    "straight_through_estimator": straight_through_estimator,
    "heaviside": heaviside,
    "spike_rate_escape": spike_rate_escape,
}


def by_name(name: str) -> Surrogate:
    """The surrogate called ``name`` with its default parameters (the command line's
    ``--surrogate``).

    Example:
        >>> by_name("atan")
        atan(alpha=2.0)
    """
    if name not in FACTORIES:
        raise ValueError(f"unknown surrogate {name!r}; choose one of: {', '.join(FACTORIES)}")
    return FACTORIES[name]()
