"""Information theory for learning: entropy, divergences, mutual information, the
information plane.

For discrete distributions p, q over the same outcomes (logs in ``base``; natural logs,
nats, by default; base 2 gives bits):

    entropy            H(p)     = - sum_i p_i log p_i            (0 log 0 = 0)
    cross_entropy      H(p, q)  = - sum_i p_i log q_i  = H(p) + KL(p || q)
    kl_divergence      KL(p||q) =   sum_i p_i log(p_i / q_i)  >= 0, = 0 iff p = q
    js_divergence      JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2,  m = (p + q) / 2,
                                  symmetric, 0 <= JS <= log 2

H(p) is the shortest mean code length for outcomes drawn from p; H(p, q) is the mean
length when the code was built for q instead, so KL(p || q) is the price of the wrong
model. That is why a classifier's cross-entropy loss is a coding cost: the number of nats
the model needs to transmit the true labels.

For a Gaussian N(mu, Sigma) in d dimensions the differential entropy is
h = (1/2) log((2 pi e)^d det Sigma), and for jointly Gaussian (X, Y)

    I(X; Y) = h(X) + h(Y) - h(X, Y) = (1/2) log(det S_xx det S_yy / det S),

which is -(d/2) log(1 - rho^2) for d pairs of coordinates each correlated by rho: the
exact value the estimators in :func:`mutual_information` are checked against.

See the article docs/articles/theory/information_theory.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.creation import tensor
from abinitio.nn.modules.activation import ReLU
from abinitio.nn.modules.container import Sequential
from abinitio.nn.modules.linear import Linear
from abinitio.ops import cat, logsumexp
from abinitio.optim.adam import Adam
from abinitio.random import manual_seed
from abinitio.tensor import Tensor


def _array(x, name):
    if isinstance(x, Tensor):
        x = x.detach().numpy()
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {x.dtype}")
    return x


def _distribution(p, name):
    p = _array(p, name).astype(np.float64)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome, got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError(f"{name} must be finite and non-negative, got {p}")
    total = p.sum(-1, keepdims=True)
    if (total <= 0).any():
        raise ValueError(f"{name} must have a positive sum, got {total.ravel()}")
    return p / total  # scipy.stats.entropy's rule: weights are normalised


def _pair(p, q):
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q need the same outcomes, got shapes {p.shape} and {q.shape}")
    return p, q


def _result(value, base):
    if base is not None:
        if base <= 0 or base == 1:
            raise ValueError(f"base must be positive and not 1, got {base!r}")
        value = value / math.log(base)
    return float(value) if np.ndim(value) == 0 else value


def _xlogy(x, y):
    # x log y with 0 log 0 = 0 (and 0 log(anything) = 0)
    safe = np.where(x > 0, y, 1.0)
    return np.where(x > 0, x * np.log(safe), 0.0)


def entropy(p, base: float | None = None):
    """H(p) = -sum_i p_i log p_i over the last axis (p is normalised first).

    Example:
        >>> entropy([0.5, 0.25, 0.25], base=2)
        1.5

    See the article docs/articles/theory/information_theory.py.
    """
    p = _distribution(p, "p")
    return _result(-_xlogy(p, p).sum(-1), base)


def cross_entropy(p, q, base: float | None = None):
    """H(p, q) = -sum_i p_i log q_i = H(p) + KL(p || q); inf where q_i = 0 < p_i.

    Example:
        >>> cross_entropy([1.0, 0.0], [0.5, 0.5], base=2)
        1.0

    See the article docs/articles/theory/information_theory.py.
    """
    p, q = _pair(p, q)
    with np.errstate(divide="ignore"):
        return _result(-_xlogy(p, q).sum(-1), base)


def kl_divergence(p, q, base: float | None = None):
    """KL(p || q) = sum_i p_i log(p_i / q_i); inf where q_i = 0 < p_i.

    Example:
        >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 6)
        0.510826

    See the article docs/articles/theory/information_theory.py.
    """
    p, q = _pair(p, q)
    with np.errstate(divide="ignore"):
        return _result((_xlogy(p, p) - _xlogy(p, q)).sum(-1), base)


def js_divergence(p, q, base: float | None = None):
    """JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2; at most log 2.
    (``scipy.spatial.distance.jensenshannon`` returns its square root.)

    Example:
        >>> js_divergence([1.0, 0.0], [0.0, 1.0], base=2)
        1.0

    See the article docs/articles/theory/information_theory.py.
    """
    p, q = _pair(p, q)
    m = (p + q) / 2
    value = (_xlogy(p, p) - _xlogy(p, m) + _xlogy(q, q) - _xlogy(q, m)).sum(-1) / 2
    return _result(value, base)


def gaussian_entropy(cov, base: float | None = None) -> float:
    """Differential entropy of N(mu, cov): (1/2) log((2 pi e)^d det cov); ``cov`` a
    variance (d = 1) or a (d, d) positive-definite matrix.

    Example:
        >>> round(gaussian_entropy(1.0), 6)  # (1/2) log(2 pi e)
        1.418939

    See the article docs/articles/theory/information_theory.py.
    """
    cov = np.atleast_2d(_array(cov, "cov").astype(np.float64))
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a variance or a square matrix, got shape {cov.shape}")
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError(f"cov must be positive definite, got {cov.tolist()}")
    d = cov.shape[0]
    return _result(0.5 * (d * math.log(2 * math.pi * math.e) + logdet), base)


def gaussian_mutual_information(cov, x_dims: int = 1, base: float | None = None) -> float:
    """Exact I(X; Y) of jointly Gaussian (X, Y) whose covariance is ``cov`` with X the
    first ``x_dims`` coordinates: h(X) + h(Y) - h(X, Y).

    Example:
        >>> round(gaussian_mutual_information([[1, 0.9], [0.9, 1]]), 6)  # -log(1-.81)/2
        0.830366

    See the article docs/articles/theory/information_theory.py.
    """
    cov = _array(cov, "cov").astype(np.float64)
    if cov.ndim != 2 or not 0 < x_dims < cov.shape[0]:
        raise ValueError(f"need a (d, d) cov and 0 < x_dims < d, got {cov.shape}, {x_dims}")
    h_x = gaussian_entropy(cov[:x_dims, :x_dims])
    h_y = gaussian_entropy(cov[x_dims:, x_dims:])
    return _result(h_x + h_y - gaussian_entropy(cov), base)


def correlated_gaussians(n: int, rho: float, dim: int = 1, seed: int = 0):
    """n samples of (X, Y), each (n, dim), coordinate i of X and of Y standard normal with
    correlation rho, all other pairs independent; returns (x, y, exact I(X; Y) in nats),
    the exact value being -(dim / 2) log(1 - rho^2).

    See the article docs/articles/theory/information_theory.py.
    """
    if not -1 < rho < 1:
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + math.sqrt(1 - rho * rho) * rng.standard_normal((n, dim))
    return x.astype(np.float32), y.astype(np.float32), -dim / 2 * math.log(1 - rho * rho)


# ---- mutual information estimators ---------------------------------------------------


def _samples(x, y):
    x, y = _array(x, "x"), _array(y, "y")
    x = x.reshape(len(x), -1) if x.ndim else x
    y = y.reshape(len(y), -1) if y.ndim else y
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(
            f"x and y need the same number (>= 2) of samples, got {np.shape(x)}, {np.shape(y)}"
        )
    return x, y


def _codes(z, bins):
    """One integer per row: the row itself if z is integer, else its per-column
    equal-width bin numbers over [min, max]."""
    if z.dtype.kind in "fc":
        low, high = z.min(0), z.max(0)
        width = np.where(high > low, (high - low) / bins, 1.0)
        z = np.minimum(((z - low) / width).astype(np.int64), bins - 1)
    return np.unique(z, axis=0, return_inverse=True)[1].reshape(-1)


def _plugin_entropy(codes):
    counts = np.bincount(codes)
    p = counts[counts > 0] / len(codes)
    return float(-(p * np.log(p)).sum())


def _binning(x, y, bins):
    cx, cy = _codes(x, bins), _codes(y, bins)
    joint = cx * (cy.max() + 1) + cy
    return _plugin_entropy(cx) + _plugin_entropy(cy) - _plugin_entropy(joint)


def _ksg(x, y, k):
    from scipy.spatial import cKDTree
    from scipy.special import digamma

    n = len(x)
    if not 1 <= k < n:
        raise ValueError(f"ksg needs 1 <= k < number of samples ({n}), got k={k}")
    xy = np.hstack([x, y]).astype(np.float64)
    # eps_i: distance (max-norm) from sample i to its k-th neighbour in the joint space
    eps = cKDTree(xy).query(xy, k=k + 1, p=np.inf)[0][:, -1]
    radius = np.nextafter(eps, 0)  # count neighbours strictly closer than eps_i
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    n_y = cKDTree(y).query_ball_point(y, radius, p=np.inf, return_length=True) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_y + 1)))


def _statistics_network(in_features, hidden):
    return Sequential(
        Linear(in_features, hidden), ReLU(), Linear(hidden, hidden), ReLU(), Linear(hidden, 1)
    )


def _donsker_varadhan(net, xt, yt, shuffled):
    joint = net(cat([xt, yt], 1)).mean()
    product = net(cat([xt, yt[shuffled]], 1))
    return joint - (logsumexp(product, 0) - math.log(len(shuffled))).sum()


def _mine(x, y, hidden, steps, batch_size, lr, seed):
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = _statistics_network(x.shape[1] + y.shape[1], hidden)
    optimizer = Adam(net.parameters(), lr=lr)
    xt, yt = tensor(x.astype(np.float32)), tensor(y.astype(np.float32))
    n, moving = len(x), None
    for _ in range(steps):
        rows = rng.choice(n, size=min(batch_size, n), replace=False)
        pair = cat([xt[rows], yt[rows]], 1)
        other = cat([xt[rows], yt[rng.choice(n, size=len(rows))]], 1)
        exp_product = net(other).exp().mean()
        # MINE's bias-corrected gradient: divide by a moving average of E_Q[e^T]
        value = float(exp_product.item())
        moving = value if moving is None else 0.99 * moving + 0.01 * value
        loss = -(net(pair).mean() - exp_product / moving)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        bounds = [_donsker_varadhan(net, xt, yt, rng.permutation(n)).item() for _ in range(5)]
    return float(np.mean(bounds))


def mutual_information(
    x,
    y,
    method: str = "ksg",
    base: float | None = None,
    k: int = 3,
    bins: int = 16,
    hidden: int = 32,
    steps: int = 600,
    batch_size: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
) -> float:
    """Estimate I(X; Y) from paired samples x (N, d_x) and y (N, d_y) (1-D arrays are one
    column; NumPy arrays or Tensors).

    * ``"ksg"``: Kraskov, Stoegbauer & Grassberger (2004), estimator 1. With eps_i the
      max-norm distance from sample i to its k-th nearest neighbour in the joint space
      and n_x(i), n_y(i) the samples strictly within eps_i in each marginal space,
      I = psi(k) + psi(N) - < psi(n_x + 1) + psi(n_y + 1) > (psi the digamma). Nearly
      unbiased for smooth densities; needs scipy (the ``theory`` extra).
    * ``"binning"``: the plug-in estimate H(X_b) + H(Y_b) - H(X_b, Y_b) after cutting
      every float column into ``bins`` equal-width bins (integer arrays are used as
      categories). Biased upward for small N and many bins: with B cells the bias is
      about (B_xy - B_x - B_y + 1) / (2N) (Miller-Madow), and it never goes away.
    * ``"mine"``: Belghazi et al. (2018). A statistics network T(x, y) (two hidden ReLU
      layers of ``hidden`` units) maximises the Donsker-Varadhan bound
      I >= E_P[T] - log E_{P_X x P_Y}[e^T], with the product distribution drawn by
      pairing x with shuffled y; trained with Adam for ``steps`` minibatches, with
      the moving-average gradient correction of the paper. Returns the bound on all
      samples (averaged over 5 shuffles): a lower bound up to sampling error.

    Example:
        >>> x, y, exact = correlated_gaussians(2000, 0.9)
        >>> abs(mutual_information(x, y, "ksg") - exact) < 0.05
        True

    See the article docs/articles/theory/information_theory.py.
    """
    x, y = _samples(x, y)
    if method == "ksg":
        value = _ksg(x.astype(np.float64), y.astype(np.float64), k)
    elif method == "binning":
        value = _binning(x, y, bins)
    elif method == "mine":
        value = _mine(x, y, hidden, steps, batch_size, lr, seed)
    else:
        raise ValueError(f"method must be 'ksg', 'binning' or 'mine', got {method!r}")
    return _result(value, base)


# ---- the information plane -----------------------------------------------------------


def information_plane(
    activations, labels, bins: int = 30, bin_width: float | None = None
) -> np.ndarray:
    """I(X; T) and I(T; Y) in bits for each layer T, by binning (Shwartz-Ziv & Tishby
    2017): every unit's activations are cut into ``bins`` equal-width bins over the
    layer's [min, max] (or, with ``bin_width``, into bins of that fixed width, as Saxe
    et al. 2018 did: then the estimate also grows with the activations' scale), and T
    is the tuple of bin numbers. Each row of the input X is
    a distinct, equally likely sample and T is a function of X, so I(X; T) = H(T) and
    I(T; Y) = H(T) - sum_y p(y) H(T | Y = y) = H(Y) - H(Y | T).

    Args:
        activations: one (N, units) array (or Tensor) per layer, for the same N inputs.
        labels: (N,) integer labels.

    Returns an array (layers, 2): column 0 is I(X; T), column 1 is I(T; Y).

    See the article docs/articles/theory/information_plane.py.
    """
    y = _array(labels, "labels").reshape(-1)
    if y.dtype.kind not in "biu":
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    rows = []
    for i, layer in enumerate(activations):
        t = _array(layer, f"activations[{i}]").astype(np.float64)
        t = t.reshape(len(t), -1)
        if len(t) != len(y):
            raise ValueError(f"activations[{i}] has {len(t)} rows, labels {len(y)}")
        if bin_width is not None:
            codes = _codes(np.floor(t / bin_width).astype(np.int64), bins)
        else:
            low, high = t.min(), t.max()
            width = (high - low) / bins if high > low else 1.0
            codes = _codes(np.minimum(((t - low) / width).astype(np.int64), bins - 1), bins)
        h_t = _plugin_entropy(codes)
        h_t_given_y = sum(
            np.mean(y == c) * _plugin_entropy(np.unique(codes[y == c], return_inverse=True)[1])
            for c in np.unique(y)
        )
        rows.append((h_t, h_t - h_t_given_y))
    return np.array(rows).reshape(-1, 2) / math.log(2)


def binary_task(n_bits: int = 12, seed: int = 0):
    """All 2^n_bits inputs in {-1, 1}^n with a balanced nonlinear label: 1 when the
    quadratic form x^T A x (A a fixed random symmetric matrix) exceeds its median. Like
    the 12-bit task of Shwartz-Ziv & Tishby (2017), every input appears once, so X is
    uniform over the rows. Returns (x float32 (2^n, n), y int64 (2^n,)).

    See the article docs/articles/theory/information_plane.py.
    """
    if isinstance(n_bits, bool) or not isinstance(n_bits, int) or not 2 <= n_bits <= 16:
        raise ValueError(f"n_bits must be an int from 2 to 16, got {n_bits!r}")
    codes = np.arange(2**n_bits)
    x = 2.0 * ((codes[:, None] >> np.arange(n_bits)) & 1) - 1
    a = np.random.default_rng(seed).standard_normal((n_bits, n_bits))
    score = np.einsum("ni,ij,nj->n", x, a + a.T, x)
    return x.astype(np.float32), (score > np.median(score)).astype(np.int64)


@dataclass
class InformationPlaneTrace:
    """I(X; T) and I(T; Y) (bits) of each hidden layer during training: ``plane`` has
    shape (records, layers, 2), recorded after the epochs listed in ``epochs``;
    ``accuracy`` is the training accuracy at each record.

    See the article docs/articles/theory/information_plane.py.
    """

    activation: str
    epochs: list
    plane: np.ndarray
    accuracy: list


def trace_information_plane(
    activation: str = "tanh",
    sizes=(12, 10, 7, 5, 4, 3),
    epochs: int = 200,
    record_every: int = 10,
    lr: float = 0.01,
    batch_size: int = 256,
    bins: int = 30,
    bin_width: float | None = 2 / 30,
    seed: int = 0,
) -> InformationPlaneTrace:
    """Train a ``sizes`` network (each hidden layer followed by ``activation``, then a
    2-way linear read-out) with Adam on :func:`binary_task` (85% of the inputs) and
    record :func:`information_plane` of the hidden layers over all inputs, with bins of
    width ``bin_width`` (Saxe et al.'s 2/30: 30 bins across tanh's range; ``None``: 30
    bins over each layer's [min, max] at each record, which hides a growing scale).

    Saxe et al. (2018) found that the "compression phase" (I(X; T) falling late in
    training, after fitting) appears with saturating tanh units but not with ReLU:
    it comes from the saturation as the weights grow, not from learning as such.

    See the article docs/articles/theory/information_plane.py.
    """
    from abinitio.nn import functional as F
    from abinitio.nn.modules.activation import Tanh

    kinds = {"tanh": Tanh, "relu": ReLU}
    if activation not in kinds:
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    x, y = binary_task(sizes[0], seed)
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    hidden = [[Linear(a, b), kinds[activation]()] for a, b in zip(sizes, sizes[1:])]
    model = Sequential(*[m for pair in hidden for m in pair], Linear(sizes[-1], 2))
    optimizer = Adam(model.parameters(), lr=lr)
    train = rng.permutation(len(x))[: int(0.85 * len(x))]
    trace = InformationPlaneTrace(activation, [], np.zeros((0, len(hidden), 2)), [])
    xt = tensor(x)
    for epoch in range(1, epochs + 1):
        for rows in np.array_split(rng.permutation(train), max(1, len(train) // batch_size)):
            optimizer.zero_grad()
            F.cross_entropy(model(tensor(x[rows])), tensor(y[rows])).backward()
            optimizer.step()
        if epoch % record_every == 0 or epoch == 1:
            with no_grad():
                h, layers = xt, []
                for module in model:
                    h = module(h)
                    if not isinstance(module, Linear):
                        layers.append(h.numpy())
            correct = (h.numpy().argmax(1) == y)[train].mean()
            trace.epochs.append(epoch)
            trace.accuracy.append(float(correct))
            plane = information_plane(layers, y, bins, bin_width)[None]
            trace.plane = np.concatenate([trace.plane, plane])
    return trace
