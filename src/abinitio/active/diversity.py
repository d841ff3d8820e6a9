"""Diversity: ask for samples that cover the pool, not ten copies of one hard case.

Uncertainty strategies choose a batch of near-duplicates when one region confuses the
model. The core-set view (Sener & Savarese 2018) picks a batch whose points are far from
everything labelled, in the network's feature space; BADGE (Ash et al. 2020) mixes both:
it embeds each sample by the gradient its most likely label would give the last layer
(long when the model is unsure, pointing in different directions for different kinds of
sample) and picks a spread-out batch of long gradients with k-means++ seeding.
"""

from __future__ import annotations

import numpy as np

from abinitio.active.uncertainty import check_n_instances


def pairwise_sq_distances(a, b) -> np.ndarray:
    """``D[i, j] = ||a_i - b_j||^2`` for (N, D) and (M, D) arrays, as
    ``||a||^2 + ||b||^2 - 2 a b^T`` (one matrix product, clipped at 0 against rounding)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(squared, 0.0)


def k_center_greedy(pool_features, labelled_features, n_instances: int):
    """Greedy k-center: repeatedly take the pool point farthest from every chosen centre.

        d(x) = min over labelled or already chosen c of ||f(x) - f(c)||
        pick x* = argmax_x d(x), then d(x) <- min(d(x), ||f(x) - f(x*)||)

    The greedy choice is a 2-approximation of the minimax cover (Sener & Savarese 2018,
    algorithm 1): after it, every pool point is within ``2 * OPT`` of a centre.

    Args:
        pool_features: (N, D) features of the unlabelled pool.
        labelled_features: (L, D) features of the labelled set (L may be 0: the first
            pick is then the point farthest from the pool's mean).
        n_instances: how many points to pick.

    Returns:
        ``(indices, distances)``: the chosen pool indices in order, and each one's
        distance to the nearest centre at the moment it was chosen (non-increasing).

    Example:
        >>> pool = [[0.0], [1.0], [5.0], [9.0]]
        >>> index, dist = k_center_greedy(pool, [[0.0]], 2)
        >>> index.tolist(), dist.tolist()
        ([3, 2], [9.0, 4.0])

    See the article docs/articles/learning/active_learning.py.
    """
    pool = np.asarray(pool_features, dtype=np.float64)
    labelled = np.asarray(labelled_features, dtype=np.float64).reshape(-1, pool.shape[1])
    check_n_instances(n_instances, len(pool))
    if len(labelled):
        nearest = pairwise_sq_distances(pool, labelled).min(axis=1)
    else:
        nearest = pairwise_sq_distances(pool, pool.mean(0, keepdims=True))[:, 0]
    chosen, distances = [], []
    for _ in range(n_instances):  # a loop over picks; each pick is vectorised over the pool
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        distances.append(float(np.sqrt(nearest[pick])))
        nearest = np.minimum(nearest, pairwise_sq_distances(pool, pool[pick : pick + 1])[:, 0])
    return np.array(chosen), np.array(distances)


def gradient_embedding(proba, features) -> np.ndarray:
    """BADGE's embedding: the gradient of the cross-entropy with respect to the last
    linear layer's weights, taking the predicted class as the label.

        y_hat = argmax_c p_c,      g(x) = (p - onehot(y_hat)) outer h(x)

    where ``h(x)`` is the input of the last layer (so dL/dW = (p - y) h^T). Its length
    ``||p - e_y_hat|| * ||h||`` is a lower bound on the gradient any label would give,
    large for uncertain samples.

    Args:
        proba: (N, C) class probabilities.
        features: (N, D) the last layer's inputs.

    Returns:
        (N, C * D) embeddings.

    Example:
        >>> gradient_embedding([[0.75, 0.25]], [[2.0, 0.0]]).tolist()
        [[-0.5, -0.0, 0.5, 0.0]]

    See the article docs/articles/learning/active_learning.py.
    """
    proba = np.asarray(proba, dtype=np.float64)
    features = np.asarray(features, dtype=np.float64)
    residual = proba.copy()
    residual[np.arange(len(proba)), proba.argmax(axis=1)] -= 1.0
    return (residual[:, :, None] * features[:, None, :]).reshape(len(proba), -1)


def kmeans_plus_plus(embeddings, n_instances: int, rng=None) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre is the longest
    embedding (as BADGE's code does), each next one is drawn with probability

        P(x) = D(x)^2 / sum_x' D(x')^2,   D(x) = distance to the nearest centre so far,

    so far-away points are likely and chosen points (D = 0) are never drawn again.

    Returns:
        (n_instances,) indices into ``embeddings``, in the order drawn.
    """
    points = np.asarray(embeddings, dtype=np.float64)
    check_n_instances(n_instances, len(points))
    rng = np.random.default_rng(rng)
    first = int(np.argmax((points * points).sum(1)))
    chosen = [first]
    nearest = pairwise_sq_distances(points, points[first : first + 1])[:, 0]
    nearest[first] = 0.0
    for _ in range(n_instances - 1):
        free = np.ones(len(points), dtype=bool)
        free[chosen] = False
        weights = np.where(free, nearest, 0.0)
        if weights.sum() <= 0:  # every free point coincides with a centre: any one will do
            weights = free.astype(np.float64)
        pick = int(rng.choice(len(points), p=weights / weights.sum()))
        chosen.append(pick)
        nearest = np.minimum(nearest, pairwise_sq_distances(points, points[pick : pick + 1])[:, 0])
    return np.array(chosen)


def _embedding_estimator(learner, name: str):
    estimator = getattr(learner, "estimator", learner)
    if not hasattr(estimator, "embed"):
        raise TypeError(
            f"{name} needs an estimator with embed() (the last layer's inputs), got "
            f"{type(estimator).__name__}"
        )
    return estimator


def coreset_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """:func:`k_center_greedy` in the network's feature space, starting from the learner's
    labelled set."""
    estimator = _embedding_estimator(learner, "coreset_sampling")
    labelled = learner.X_training if learner.X_training is not None else X_pool[:0]
    features = estimator.embed(np.concatenate([labelled, X_pool]))
    chosen, _ = k_center_greedy(features[len(labelled) :], features[: len(labelled)],
                                n_instances)  # fmt: skip
    return chosen


def badge_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """BADGE: :func:`kmeans_plus_plus` on the :func:`gradient_embedding` of the pool."""
    estimator = _embedding_estimator(learner, "badge_sampling")
    embeddings = gradient_embedding(estimator.predict_proba(X_pool), estimator.embed(X_pool))
    return kmeans_plus_plus(embeddings, n_instances, rng)
