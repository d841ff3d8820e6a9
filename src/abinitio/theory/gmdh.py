"""The Group Method of Data Handling: Ivakhnenko's polynomial network, grown layer by layer.

Alexey Ivakhnenko (with Valentin Lapa) described it in Kyiv from 1965 ("Cybernetic
Predicting Devices", 1965-67) and trained an eight-layer network with it in 1971: the
first deep networks that learned from data. Each unit is a quadratic of two inputs,

    u(a, b) = c0 + c1 a + c2 b + c3 a b + c4 a^2 + c5 b^2,

fitted by least squares (c = argmin |D c - y|^2, the normal equations D^T D c = D^T y)
on the training part A of the data. Layer 1 tries every pair of the d inputs; the
``k_best`` units with the smallest mean squared error on the held-out part B (the
"regularity criterion") survive and their outputs are the next layer's inputs. Growth
stops when the best held-out error stops falling (by less than ``limit`` relatively),
and the model is the best unit of the last layer kept. Depth, the choice of inputs
and every coefficient are thus chosen from the data, with no gradient descent at all.

One guard is added to the method as published: L layers compose quadratics into a
polynomial of degree 2^L, which can explode just outside the points it was fitted on,
so each unit's output is clipped to the range it took on the samples given to ``fit``.

The names follow the ``gmdh`` package's multilayer algorithm (``Mia``: ``k_best``,
``test_size``, ``limit``), with scikit-learn's ``fit``/``predict`` and trailing-underscore
fitted attributes.

See the article docs/articles/theory/gmdh.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _quadratic_features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[1, a, b, a b, a^2, b^2] along a new last axis."""
    return np.stack([np.ones_like(a), a, b, a * b, a * a, b * b], -1)


@dataclass
class GMDHLayer:
    """One grown layer: unit u takes inputs ``pairs[u]`` (indices into the previous
    layer's outputs, or into the features for layer 1), with ``coefficients[u]``
    (c0..c5) and held-out mean squared error ``errors[u]``, best unit first. Each
    unit's output is clipped to ``[low[u], high[u]]``, the range it took on the samples
    given to ``fit`` (None: no clipping).

    See the article docs/articles/theory/gmdh.py.
    """

    pairs: np.ndarray
    coefficients: np.ndarray
    errors: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        a, b = inputs[:, self.pairs[:, 0]], inputs[:, self.pairs[:, 1]]
        out = np.einsum("nuk,uk->nu", _quadratic_features(a, b), self.coefficients)
        if self.low is None:
            return out
        return np.clip(out, self.low, self.high)


class GMDHRegressor:
    """Ivakhnenko's multilayer GMDH for regression (the module docstring has the maths).

    Args:
        k_best: units kept per layer (they feed the next layer). Default: 6.
        test_size: share of the samples held out to select units and stop growth.
        max_layers: the most layers to grow. Default: 10.
        limit: stop when the best held-out error falls by less than this share.
        ridge: a tiny Tikhonov term added to D^T D, for pairs of nearly equal inputs.
        seed: fixes the split.

    Attributes (after ``fit``): ``layers_`` (a list of :class:`GMDHLayer`),
    ``validation_errors_`` (the best held-out MSE per grown layer, including the one
    that stopped growth), ``n_features_in_``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(-1, 1, (400, 3))
        >>> y = x[:, 0] * x[:, 1] + x[:, 2] ** 2
        >>> model = GMDHRegressor().fit(x, y)
        >>> bool(np.mean((model.predict(x) - y) ** 2) < 0.05 * y.var())  # a line: 0.99 y.var()
        True

    See the article docs/articles/theory/gmdh.py.
    """

    def __init__(
        self,
        k_best: int = 6,
        test_size: float = 0.5,
        max_layers: int = 10,
        limit: float = 1e-2,
        ridge: float = 1e-9,
        seed: int = 0,
    ) -> None:
        if isinstance(k_best, bool) or not isinstance(k_best, int) or k_best < 1:
            raise ValueError(f"k_best must be a positive int, got {k_best!r}")
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must lie in (0, 1), got {test_size!r}")
        if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
            raise ValueError(f"max_layers must be a positive int, got {max_layers!r}")
        self.k_best, self.test_size, self.max_layers = k_best, test_size, max_layers
        self.limit, self.ridge, self.seed = limit, ridge, seed

    def _check(self, x, y=None):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] < 2:
            raise ValueError(f"x must be (samples, features >= 2), got shape {x.shape}")
        if y is None:
            return x
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(x):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
        return x, y

    def _fit_layer(self, train, held_out, y_train, y_held_out):
        first, second = np.triu_indices(train.shape[1], k=1)
        pairs = np.stack([first, second], 1)
        design = _quadratic_features(train[:, first], train[:, second])  # (n, P, 6)
        gram = np.einsum("npk,npl->pkl", design, design) + self.ridge * np.eye(6)
        moments = np.einsum("npk,n->pk", design, y_train)[..., None]
        coefficients = np.linalg.solve(gram, moments)[..., 0]
        layer = GMDHLayer(pairs, coefficients, np.zeros(len(pairs)))
        layer.errors = np.mean((layer(held_out) - y_held_out[:, None]) ** 2, 0)
        keep = np.argsort(layer.errors, kind="stable")[: self.k_best]
        kept = GMDHLayer(pairs[keep], coefficients[keep], layer.errors[keep])
        seen = np.concatenate([kept(train), kept(held_out)])  # inputs only: no labels
        kept.low, kept.high = seen.min(0), seen.max(0)
        kept.errors = np.mean((kept(held_out) - y_held_out[:, None]) ** 2, 0)
        return kept

    def fit(self, x, y) -> GMDHRegressor:
        """Grow layers on a random split of (x, y) until the held-out error stops falling."""
        x, y = self._check(x, y)
        order = np.random.default_rng(self.seed).permutation(len(x))
        n_held_out = int(round(self.test_size * len(x)))
        if not 7 <= len(x) - n_held_out and n_held_out >= 1:
            raise ValueError(f"need >= 6 training and 1 held-out sample, got {len(x)}")
        held, train = order[:n_held_out], order[n_held_out:]
        self._mean, self._scale = x.mean(0), np.where(x.std(0) > 0, x.std(0), 1.0)
        inputs = (x - self._mean) / self._scale
        a, b = inputs[train], inputs[held]
        self.layers_, self.validation_errors_ = [], []
        self.n_features_in_ = x.shape[1]
        best = np.inf
        for _ in range(self.max_layers):
            layer = self._fit_layer(a, b, y[train], y[held])
            self.validation_errors_.append(float(layer.errors[0]))
            if layer.errors[0] >= best * (1 - self.limit):
                break  # the new layer does not help on held-out data: stop growing
            best = layer.errors[0]
            self.layers_.append(layer)
            if len(layer.pairs) < 2:
                break  # one unit left: nothing to pair
            a, b = layer(a), layer(b)
        return self

    def predict(self, x) -> np.ndarray:
        """The best unit of the last layer, evaluated through all the layers."""
        if not hasattr(self, "layers_"):
            raise RuntimeError("GMDHRegressor: call fit(x, y) before predict")
        x = self._check(x)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"fitted on {self.n_features_in_} features, got {x.shape[1]}")
        h = (x - self._mean) / self._scale
        for layer in self.layers_:
            h = layer(h)
        return h[:, 0]

    def describe(self) -> str:
        """The grown structure, traced back from the output unit: one line per unit
        used, ``L2.u0 = q(L1.u3, L1.u1)``, with layer-1 inputs named x0, x1, ...."""
        lines, wanted = [], {0}
        for depth in range(len(self.layers_), 0, -1):
            layer, below = self.layers_[depth - 1], set()
            for unit in sorted(wanted):
                i, j = layer.pairs[unit]
                names = [f"x{k}" if depth == 1 else f"L{depth - 1}.u{k}" for k in (i, j)]
                error = f"held-out MSE {layer.errors[unit]:.4g}"
                lines.append(f"L{depth}.u{unit} = q({names[0]}, {names[1]})  {error}")
                below |= {int(i), int(j)}
            wanted = below
        return "\n".join(reversed(lines))
