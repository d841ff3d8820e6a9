"""Uncertainty sampling: ask for the labels the current model is least sure of.

Each measure takes the model's class probabilities on the pool, ``proba`` of shape
(N, C) with rows summing to 1, and returns one score per sample. The ``*_sampling``
strategies (modAL's names and signature: ``strategy(learner, X_pool, n_instances)`` ->
indices into ``X_pool``) pick the ``n_instances`` most uncertain samples.

Settles, "Active Learning Literature Survey" (2009), section 3.1, is the reference for all
three measures; on two classes they rank samples identically, on more they differ in how
much of the distribution they look at (the top class, the top two, or all of it).
"""

from __future__ import annotations

import numpy as np

# the smallest probability the logarithms see: 0 log 0 is taken as 0
_TINY = 1e-12


def _check_proba(proba, name: str) -> np.ndarray:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"{name}: expected probabilities of shape (N, C) with C >= 2, got {proba.shape}"
        )
    return proba


def least_confidence(proba) -> np.ndarray:
    """How far the top class is from certainty: ``U(x) = 1 - max_c p(c | x)``.

    modAL calls it ``classifier_uncertainty``. It ignores every class but the first, so
    (0.5, 0.5, 0) and (0.5, 0.25, 0.25) score the same.

    Args:
        proba: (N, C) class probabilities.

    Returns:
        (N,) scores in [0, 1 - 1/C]; larger is more uncertain.

    Example:
        >>> least_confidence([[0.9, 0.1], [0.5, 0.5]]).round(3)
        array([0.1, 0.5])

    See the article docs/articles/learning/active_learning.py.
    """
    return 1.0 - _check_proba(proba, "least_confidence").max(axis=1)


def margin(proba) -> np.ndarray:
    """The gap between the two likeliest classes: ``M(x) = p(c1 | x) - p(c2 | x)``.

    A small margin means the model can hardly tell its first choice from its second;
    :func:`margin_sampling` asks for the smallest margins (modAL: ``classifier_margin``).

    Args:
        proba: (N, C) class probabilities.

    Returns:
        (N,) margins in [0, 1]; smaller is more uncertain.

    Example:
        >>> margin([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]]).round(3)
        array([0.5 , 0.05])

    See the article docs/articles/learning/active_learning.py.
    """
    proba = _check_proba(proba, "margin")
    top_two = np.sort(proba, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def entropy(proba) -> np.ndarray:
    """The Shannon entropy of the prediction, in nats: ``H(x) = -sum_c p_c log p_c``.

    It is 0 for a one-hot prediction and ``log C`` for a uniform one, and it uses the
    whole distribution (modAL: ``classifier_entropy``). Its derivative with respect to
    ``p_c`` is ``-(log p_c + 1)``: a class with little probability still adds uncertainty.

    Args:
        proba: (N, C) class probabilities.

    Returns:
        (N,) entropies in [0, log C]; larger is more uncertain.

    Example:
        >>> entropy([[1.0, 0.0], [0.5, 0.5]]).round(4)
        array([0.    , 0.6931])

    See the article docs/articles/learning/active_learning.py.
    """
    proba = _check_proba(proba, "entropy")
    return -(proba * np.log(np.maximum(proba, _TINY))).sum(axis=1) + 0.0  # no -0.0


# ---- choosing the samples ---------------------------------------------------------------
def multi_argmax(values, n_instances: int) -> np.ndarray:
    """Indices of the ``n_instances`` largest values, largest first (ties: lower index).

    Example:
        >>> multi_argmax([0.1, 0.7, 0.3, 0.7], 3)
        array([1, 3, 2])
    """
    values = np.asarray(values)
    check_n_instances(n_instances, len(values))
    return np.argsort(-values, kind="stable")[:n_instances]


def check_n_instances(n_instances: int, pool_size: int) -> None:
    """A query must ask for at least one sample and at most the whole pool."""
    if isinstance(n_instances, bool) or not isinstance(n_instances, (int, np.integer)):
        raise TypeError(f"n_instances must be an int, got {n_instances!r}")
    if n_instances < 1:
        raise ValueError(f"n_instances must be at least 1, got {n_instances}")
    if n_instances > pool_size:
        raise ValueError(
            f"cannot query {n_instances} samples: the pool has only {pool_size} "
            "unlabelled sample(s) left"
        )


def random_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The baseline: ``n_instances`` pool samples drawn uniformly without replacement.

    It is hard to beat when the labelled set is tiny (the model's uncertainty is then
    itself unreliable) and it never piles queries into one confusing region.
    """
    check_n_instances(n_instances, len(X_pool))
    rng = np.random.default_rng(rng)
    return rng.choice(len(X_pool), size=n_instances, replace=False)


def uncertainty_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The samples of largest :func:`least_confidence`."""
    return multi_argmax(least_confidence(learner.predict_proba(X_pool)), n_instances)


def margin_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The samples of smallest :func:`margin`."""
    return multi_argmax(-margin(learner.predict_proba(X_pool)), n_instances)


def entropy_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The samples of largest :func:`entropy`."""
    return multi_argmax(entropy(learner.predict_proba(X_pool)), n_instances)
