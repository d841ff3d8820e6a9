"""Learning curves: run the loop with a simulated oracle, per strategy and seed.

The labels of the whole pool are known but hidden; the loop asks for them as a person
would be asked. Accuracy on a held-out test set after each round, against the number of
labels used, is the learning curve; its mean and spread over seeds compare strategies.
"""

from __future__ import annotations

import numpy as np

from abinitio import nn
from abinitio.active.disagreement import (
    bald_sampling,
    consensus_kl_sampling,
    vote_entropy_sampling,
)
from abinitio.active.diversity import badge_sampling, coreset_sampling
from abinitio.active.learner import ActiveLearner, Committee, NetworkClassifier
from abinitio.active.loop import ActiveLoop
from abinitio.active.oracle import ArrayOracle
from abinitio.active.uncertainty import (
    entropy_sampling,
    margin_sampling,
    random_sampling,
    uncertainty_sampling,
)

STRATEGIES = {
    "random": random_sampling,
    "least_confidence": uncertainty_sampling,
    "margin": margin_sampling,
    "entropy": entropy_sampling,
    "vote_entropy": vote_entropy_sampling,
    "consensus_kl": consensus_kl_sampling,
    "bald": bald_sampling,
    "coreset": coreset_sampling,
    "badge": badge_sampling,
}
COMMITTEE_STRATEGIES = ("vote_entropy", "consensus_kl")


def default_model_fn(in_features: int, num_classes: int, hidden: int = 128,
                     dropout: float = 0.25):  # fmt: skip
    """The loop's default network: flatten -> Linear -> ReLU -> Dropout -> Linear (the
    dropout is what BALD's Monte-Carlo passes sample)."""

    def build():
        return nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(),
                             nn.Dropout(dropout), nn.Linear(hidden, num_classes))  # fmt: skip

    return build


def make_learner(strategy: str, model_fn, num_classes: int, seed: int = 0,
                 committee_size: int = 3, **fit_options):  # fmt: skip
    """An :class:`ActiveLearner` (or, for committee strategies, a :class:`Committee` of
    ``committee_size`` networks seeded ``seed * 1000 + m``) using ``strategy``."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    query = STRATEGIES[strategy]
    if strategy in COMMITTEE_STRATEGIES:
        members = []
        for m in range(committee_size):
            member = NetworkClassifier(model_fn, num_classes, seed=seed * 1000 + m, **fit_options)
            members.append(ActiveLearner(member))
        return Committee(members, query)
    return ActiveLearner(NetworkClassifier(model_fn, num_classes, seed=seed, **fit_options), query)


def simulate(strategy: str, X_pool, y_pool, X_test, y_test, *, model_fn, num_classes: int,
             n_initial: int = 20, n_instances: int = 10, rounds: int = 30, seed: int = 0,
             log=None, **fit_options) -> list:  # fmt: skip
    """One learning curve: ``rounds`` rounds of the loop (the first labels ``n_initial``
    random samples), test accuracy after each. Returns the loop's history (``labels``,
    ``accuracy``, ``queried`` per round)."""
    learner = make_learner(strategy, model_fn, num_classes, seed, **fit_options)
    loop = ActiveLoop(learner, X_pool, ArrayOracle(y_pool), n_instances=n_instances,
                      n_initial=n_initial, num_classes=num_classes, seed=seed, log=log)  # fmt: skip
    return loop.run(rounds, evaluate=lambda fitted: fitted.score(X_test, y_test))


def pool_and_test(data):
    """The training split as the pool and the test split, flattened to (N, features).
    MNIST-1D's signals (unlike the digits' [0, 1] pixels) are standardised with the pool's
    mean and standard deviation: no label is needed for that."""
    x_pool = np.asarray(data.x_train, dtype=np.float32).reshape(len(data.x_train), -1)
    x_test = np.asarray(data.x_test, dtype=np.float32).reshape(len(data.x_test), -1)
    if data.name == "mnist1d":
        mean, std = x_pool.mean(), x_pool.std()
        x_pool, x_test = (x_pool - mean) / std, (x_test - mean) / std
    return x_pool, x_test


def curve_summary(histories: list) -> dict:
    """Mean and standard deviation over seeds of the accuracy at each label count."""
    labels = [record["labels"] for record in histories[0]]
    accuracy = np.array([[record["accuracy"] for record in h] for h in histories])
    return {"labels": labels, "mean": accuracy.mean(0).tolist(), "std": accuracy.std(0).tolist()}


def labels_to_reach(summary: dict, target: float) -> int | None:
    """The fewest labels at which the mean curve reaches ``target`` (None: never)."""
    for labels, mean in zip(summary["labels"], summary["mean"]):
        if mean >= target:
            return labels
    return None
