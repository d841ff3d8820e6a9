"""The universal approximation theorem, as code: a one-hidden-layer network built by hand.

Theorem (Cybenko 1989 for sigmoids; Hornik 1991; Leshno, Lin, Pinkus & Schocken 1993 for
every continuous activation that is not a polynomial): for every continuous f on a
compact K in R^d and every eps > 0 there are a width n and weights such that

    sup_{x in K} | f(x) - sum_{k=1..n} c_k sigma(w_k . x + b_k) - c_0 | < eps.

It promises that the weights *exist*; it says nothing about finding them by gradient
descent, nor about how large n must be. On an interval [a, b] the proof can be written
down. Take n + 1 evenly spaced knots x_k = a + k h, h = (b - a) / n, and

* **ReLU hinges** (the piecewise-linear interpolant, n hidden units):

      g(x) = f(x_0) + sum_{k=0..n-1} (s_k - s_{k-1}) relu(x - x_k),
      s_k = (f(x_{k+1}) - f(x_k)) / h,  s_{-1} = 0.

  Bound: |f - g| <= L h / 2 for an L-Lipschitz f, and <= M h^2 / 8 when |f''| <= M.

* **steep sigmoids** (a staircase, n hidden units with steps at the midpoints m_k):

      g(x) = f(x_0) + sum_{k=1..n} (f(x_k) - f(x_{k-1})) sigmoid(s (x - m_k)),
      m_k = (x_{k-1} + x_k) / 2,  s = steepness / h.

  Bound, with w(h) = L h the modulus of continuity and q = exp(-s h):
  |f - g| <= w(h/2) + w(h) (1/2 + sigmoid(-s h) + 2 q / (1 - q)). The first term is the
  exact staircase's error; the second bounds how far the sigmoids are from unit steps
  (sigmoid(-t) <= exp(-t) on each side of x, and a convex pair at the nearest step).

Both bounds fall to 0 as n grows: that is the theorem's content on an interval. A
discontinuous target (a step) is outside the theorem: the sup error stays near half the
jump at every width.

See the article docs/articles/theory/universal_approximation_constructed.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.creation import tensor
from abinitio.nn import functional as F
from abinitio.nn.modules.activation import ReLU, Sigmoid, Tanh
from abinitio.nn.modules.container import Sequential
from abinitio.nn.modules.linear import Linear
from abinitio.optim.adam import Adam
from abinitio.random import manual_seed

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def _check(width, interval, activation, kinds=("relu", "sigmoid")):
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    if len(interval) != 2 or not interval[0] < interval[1]:
        raise ValueError(f"interval must be (a, b) with a < b, got {interval!r}")
    if activation not in kinds:
        raise ValueError(f"activation must be one of {kinds}, got {activation!r}")


def construct_network(
    f: Callable[[np.ndarray], np.ndarray],
    width: int,
    interval: tuple[float, float] = (-1.0, 1.0),
    activation: str = "relu",
    steepness: float = 20.0,
) -> Sequential:
    """The proof's network: Linear(1, width), ReLU or Sigmoid, Linear(width, 1), with
    every weight set by hand from f's values at width + 1 evenly spaced knots (the module
    docstring gives both constructions and their bounds).

    Args:
        f: the target, a vectorised function of a NumPy array.
        width: hidden units n.
        interval: (a, b).
        activation: ``"relu"`` (hinges, the interpolant) or ``"sigmoid"`` (a staircase).
        steepness: for sigmoids, the slope times the knot spacing (s h).

    Shape: the network maps (N, 1) -> (N, 1).

    Example:
        >>> net = construct_network(np.abs, 2)
        >>> net(tensor([[-1.0], [0.0], [0.5]])).detach().numpy().ravel().tolist()
        [1.0, 0.0, 0.5]

    See the article docs/articles/theory/universal_approximation_constructed.py.
    """
    _check(width, interval, activation)
    a, b = interval
    knots = np.linspace(a, b, width + 1)
    values = np.asarray(f(knots), dtype=np.float64)
    h = (b - a) / width
    if activation == "relu":
        slopes = np.diff(values) / h
        w1, b1 = np.ones(width), -knots[:-1]  # hinge k bends at knot k
        w2 = np.diff(slopes, prepend=0.0)
    else:
        s = steepness / h
        w1, b1 = np.full(width, s), -s * (knots[:-1] + h / 2)  # step k at midpoint k
        w2 = np.diff(values)
    model = Sequential(Linear(1, width), ACTIVATIONS[activation](), Linear(width, 1))
    with no_grad():
        model[0].weight.copy_(tensor(w1[:, None], dtype=model[0].weight.dtype))
        model[0].bias.copy_(tensor(b1, dtype=model[0].bias.dtype))
        model[2].weight.copy_(tensor(w2[None, :], dtype=model[2].weight.dtype))
        model[2].bias.fill_(float(values[0]))
    return model


def approximation_bound(
    width: int,
    interval: tuple[float, float] = (-1.0, 1.0),
    lipschitz: float | None = None,
    curvature: float | None = None,
    activation: str = "relu",
    steepness: float = 20.0,
) -> float:
    """The proven sup-norm error of :func:`construct_network` at this width.

    ReLU: min(L h / 2, M h^2 / 8) from whichever of ``lipschitz`` (L) and ``curvature``
    (M >= |f''|) is given. Sigmoid: L h / 2 + L h (1/2 + sigmoid(-s h) + 2 q / (1 - q)),
    q = exp(-s h), with s h = ``steepness``.

    Example:
        >>> approximation_bound(10, (0.0, 1.0), lipschitz=1.0)
        0.05

    See the article docs/articles/theory/universal_approximation_constructed.py.
    """
    _check(width, interval, activation)
    if lipschitz is None and curvature is None:
        raise ValueError("approximation_bound needs lipschitz= or curvature= (got neither)")
    h = (interval[1] - interval[0]) / width
    if activation == "sigmoid":
        if lipschitz is None:
            raise ValueError("the sigmoid bound needs lipschitz= (got only curvature=)")
        q = math.exp(-steepness)
        tails = 0.5 + 1 / (1 + math.exp(steepness)) + 2 * q / (1 - q)
        return lipschitz * h / 2 + lipschitz * h * tails
    bounds = []
    if lipschitz is not None:
        bounds.append(lipschitz * h / 2)
    if curvature is not None:
        bounds.append(curvature * h * h / 8)
    return min(bounds)


def sup_error(
    model,
    f: Callable[[np.ndarray], np.ndarray],
    interval: tuple[float, float] = (-1.0, 1.0),
    points: int = 4001,
) -> float:
    """max |model(x) - f(x)| over ``points`` evenly spaced x in the interval (d = 1), or
    over a points x points grid of the square interval^2 (a model with 2 inputs).

    See the article docs/articles/theory/universal_approximation_constructed.py.
    """
    x = _grid(model[0].in_features, interval, points)
    with no_grad():
        out = model(tensor(x)).numpy().reshape(-1)
    return float(np.abs(out - np.asarray(f(x)).reshape(-1)).max())


def _grid(dims, interval, points):
    line = np.linspace(interval[0], interval[1], points, dtype=np.float32)
    if dims == 1:
        return line[:, None]
    if dims == 2:
        side = min(points, 101)
        line = np.linspace(interval[0], interval[1], side, dtype=np.float32)
        return np.stack(np.meshgrid(line, line), -1).reshape(-1, 2)
    raise ValueError(f"the approximation tools handle 1 or 2 inputs, got {dims}")


def train_network(
    f: Callable[[np.ndarray], np.ndarray],
    width: int,
    interval: tuple[float, float] = (-1.0, 1.0),
    in_features: int = 1,
    activation: str = "relu",
    steps: int = 1500,
    lr: float = 0.01,
    points: int = 256,
    seed: int = 0,
) -> Sequential:
    """The same architecture, trained: Adam on the mean squared error over ``points``
    grid points (per axis for 2 inputs, at most 101), full batch, ``steps`` steps.

    See the article docs/articles/theory/universal_approximation_constructed.py.
    """
    _check(width, interval, activation, kinds=tuple(ACTIVATIONS))
    manual_seed(seed)
    model = Sequential(
        Linear(in_features, width), ACTIVATIONS[activation](), Linear(width, 1)
    )
    grid = _grid(in_features, interval, points)
    x, y = tensor(grid), tensor(np.asarray(f(grid), np.float32).reshape(-1, 1))
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    return model
