"""Disagreement: ask where several plausible models disagree.

Query-by-committee (Seung, Opper & Sompolinsky 1992) trains M models that all fit the
labelled set (here: the same network from M seeds) and asks for the samples they disagree
on most; a label there rules out the most hypotheses. BALD (Houlsby et al. 2011; Gal,
Islam & Ghahramani 2017) does the same with one network: T stochastic forward passes with
dropout on are T samples from an approximate posterior over its weights.

Every measure takes a stack of probability tables, (M, N, C): member (or Monte-Carlo pass)
m's probabilities for pool sample n and class c.
"""

from __future__ import annotations

import numpy as np

from abinitio.active.uncertainty import _TINY, entropy, multi_argmax


def _check_stack(stack, name: str) -> np.ndarray:
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim != 3 or stack.shape[0] < 2 or stack.shape[2] < 2:
        raise ValueError(
            f"{name}: expected a stack of probabilities (M, N, C) with M >= 2 members or "
            f"samples and C >= 2 classes, got shape {stack.shape}"
        )
    return stack


def vote_entropy(committee_proba) -> np.ndarray:
    """Entropy of the committee's votes: ``VE(x) = -sum_c (V_c / M) log(V_c / M)``.

    ``V_c`` is the number of the M members whose top class is c (Dagan & Engelson 1995).
    It is 0 when all members agree and ``log min(M, C)`` when the votes spread evenly; it
    ignores how confident each member is.

    Args:
        committee_proba: (M, N, C) each member's class probabilities.

    Returns:
        (N,) vote entropies; larger is more disagreement.

    Example:
        >>> p = [[[0.9, 0.1]], [[0.6, 0.4]], [[0.2, 0.8]], [[0.3, 0.7]]]
        >>> vote_entropy(p).round(4)     # two votes each: log 2
        array([0.6931])

    See the article docs/articles/learning/active_learning.py.
    """
    stack = _check_stack(committee_proba, "vote_entropy")
    members, _, classes = stack.shape
    votes = stack.argmax(axis=2)  # (M, N)
    counts = (votes[:, :, None] == np.arange(classes)).sum(axis=0)  # (N, C)
    return entropy(counts / members)


def consensus_kl(committee_proba) -> np.ndarray:
    """Mean Kullback-Leibler divergence of each member from the consensus.

        P_bar(c | x) = (1/M) sum_m P_m(c | x)
        KL_m(x)      = sum_c P_m(c | x) log(P_m(c | x) / P_bar(c | x))
        score(x)     = (1/M) sum_m KL_m(x)

    (McCallum & Nigam 1998). It is 0 when the members agree exactly and grows when they
    are confident about different classes; it is also the Jensen-Shannon divergence of the
    members, ``H(P_bar) - (1/M) sum_m H(P_m)``. modAL's ``KL_max_disagreement`` takes the
    maximum over members instead of the mean.

    Args:
        committee_proba: (M, N, C) each member's class probabilities.

    Returns:
        (N,) mean divergences (nats); larger is more disagreement.

    Example:
        >>> consensus_kl([[[1.0, 0.0]], [[0.0, 1.0]]]).round(4)   # log 2 each
        array([0.6931])

    See the article docs/articles/learning/active_learning.py.
    """
    stack = _check_stack(committee_proba, "consensus_kl")
    consensus = stack.mean(axis=0, keepdims=True)
    ratio = np.log(np.maximum(stack, _TINY)) - np.log(np.maximum(consensus, _TINY))
    return (stack * ratio).sum(axis=2).mean(axis=0)


def mutual_information(mc_proba) -> np.ndarray:
    """BALD's score: the mutual information between the label and the weights.

        I(y; w | x) = H[ (1/T) sum_t p_t(y | x) ]  -  (1/T) sum_t H[ p_t(y | x) ]

    from T Monte-Carlo dropout passes ``p_t`` (Gal et al. 2017, eq. 2). The first term is
    the entropy of the averaged prediction (total uncertainty), the second the average
    entropy of each pass (the noise no label can remove). Their difference is large only
    where the passes are individually confident and disagree with each other: the
    samples whose label would teach the weights most. It is never negative (entropy is
    concave).

    Args:
        mc_proba: (T, N, C) class probabilities from T stochastic forward passes.

    Returns:
        (N,) mutual information in nats, in [0, log C].

    Example:
        >>> mutual_information([[[1.0, 0.0]], [[0.0, 1.0]]]).round(4)   # log 2 - 0
        array([0.6931])
        >>> mutual_information([[[0.5, 0.5]], [[0.5, 0.5]]]).round(4)   # log 2 - log 2
        array([0.])

    See the article docs/articles/learning/active_learning.py.
    """
    stack = _check_stack(mc_proba, "mutual_information")
    total = entropy(stack.mean(axis=0))
    expected = entropy(stack.reshape(-1, stack.shape[2])).reshape(stack.shape[:2]).mean(axis=0)
    return np.maximum(total - expected, 0.0)


def _committee_proba(learner, X_pool) -> np.ndarray:
    if not hasattr(learner, "committee_proba"):
        raise TypeError(
            f"committee strategies need a Committee (with committee_proba), got "
            f"{type(learner).__name__}"
        )
    return learner.committee_proba(X_pool)


def vote_entropy_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The samples of largest :func:`vote_entropy` over a :class:`Committee`'s members."""
    return multi_argmax(vote_entropy(_committee_proba(learner, X_pool)), n_instances)


def consensus_kl_sampling(learner, X_pool, n_instances: int = 1, rng=None) -> np.ndarray:
    """The samples of largest :func:`consensus_kl` over a :class:`Committee`'s members."""
    return multi_argmax(consensus_kl(_committee_proba(learner, X_pool)), n_instances)


def bald_sampling(learner, X_pool, n_instances: int = 1, rng=None,
                  mc_samples: int = 20) -> np.ndarray:  # fmt: skip
    """The samples of largest :func:`mutual_information` over ``mc_samples`` dropout passes
    (the learner's estimator needs ``predict_proba_mc``, and its model dropout)."""
    estimator = getattr(learner, "estimator", learner)
    if not hasattr(estimator, "predict_proba_mc"):
        raise TypeError(
            f"bald_sampling needs an estimator with predict_proba_mc (Monte-Carlo dropout), "
            f"got {type(estimator).__name__}"
        )
    return multi_argmax(mutual_information(estimator.predict_proba_mc(X_pool, mc_samples)),
                        n_instances)  # fmt: skip
