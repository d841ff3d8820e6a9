"""The learner of the pool-based loop, with modAL's API.

modAL (Danka & Horvath 2018) wraps any estimator with ``fit``/``predict_proba``::

    learner = ActiveLearner(estimator, query_strategy=entropy_sampling,
                            X_training=x0, y_training=y0)
    index, instances = learner.query(X_pool, n_instances=10)
    learner.teach(X_pool[index], oracle(index))

:class:`NetworkClassifier` is such an estimator around an abinitio network: it trains a
fresh model on every ``fit`` (or keeps training the last one with ``warm_start``), and adds
what the network-specific strategies need: Monte-Carlo dropout passes (BALD) and the last
layer's inputs (core-set, BADGE). A scikit-learn classifier works as well for the
strategies that only need ``predict_proba``.
"""

from __future__ import annotations

import numpy as np

from abinitio import manual_seed, nn, no_grad, optim, tensor
from abinitio.active.uncertainty import entropy_sampling


class NetworkClassifier:
    """A classifier that trains an abinitio network on whatever labels it is given.

    ``fit`` runs ``steps`` Adam steps on minibatches of ``batch_size`` drawn by walking
    shuffled copies of the labelled set: the same amount of training whether 20 or 300
    labels are known, so every round of the loop costs the same.

    Args:
        model_fn: called with no arguments, returns a new ``nn.Module`` mapping (N, ...)
            inputs to (N, num_classes) logits.
        num_classes: the number of classes (fixed, even when the labels seen so far miss
            some of them: the model then never predicts those until one is labelled).
        steps, batch_size, lr, weight_decay: the training of one ``fit``.
        warm_start: keep training the previous model instead of starting afresh.
        seed: seeds the model's initialisation and the minibatch order.

    Example:
        >>> import numpy as np
        >>> from abinitio import nn
        >>> x = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> clf = NetworkClassifier(lambda: nn.Linear(2, 2), 2, steps=100, lr=0.1).fit(x, y)
        >>> float((clf.predict(x) == y).mean()) > 0.9
        True

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, model_fn, num_classes: int, *, steps: int = 200, batch_size: int = 32,
                 lr: float = 3e-3, weight_decay: float = 0.0, warm_start: bool = False,
                 seed: int = 0) -> None:  # fmt: skip
        if num_classes < 2:
            raise ValueError(f"NetworkClassifier: num_classes must be >= 2, got {num_classes}")
        if steps < 1 or batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {steps}, {batch_size}")
        self.model_fn, self.num_classes = model_fn, num_classes
        self.steps, self.batch_size = steps, batch_size
        self.lr, self.weight_decay = lr, weight_decay
        self.warm_start, self.seed = warm_start, seed
        self.model = None

    def fit(self, X, y) -> NetworkClassifier:
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)
        if len(X) != len(y) or len(X) == 0:
            raise ValueError(f"fit: need as many labels as inputs (> 0), got {len(X)}, {len(y)}")
        if y.min() < 0 or y.max() >= self.num_classes:
            raise ValueError(f"fit: labels must lie in [0, {self.num_classes}), got {y.max()}")
        if self.model is None or not self.warm_start:
            manual_seed(self.seed)
            self.model = self.model_fn()
        optimizer = optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        loss_fn = nn.CrossEntropyLoss()
        # the minibatch order depends on the seed and the number of labels only, so a
        # resumed loop refits exactly as the uninterrupted one did
        rng = np.random.default_rng([self.seed, len(X)])
        batch = min(self.batch_size, len(X))
        order = np.concatenate([rng.permutation(len(X)) for _ in range(
            -(-self.steps * batch // len(X)))])  # fmt: skip
        self.model.train()
        for step in range(self.steps):
            index = order[step * batch : (step + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(self.model(tensor(X[index])), tensor(y[index]))
            loss.backward()
            optimizer.step()
        self.model.eval()
        return self

    def _require_model(self) -> None:
        if self.model is None:
            raise RuntimeError("NetworkClassifier: call fit() before predicting")

    def predict_proba(self, X) -> np.ndarray:
        """(N, num_classes) softmax probabilities, in eval mode (dropout off)."""
        self._require_model()
        self.model.eval()
        with no_grad():
            return self.model(tensor(np.asarray(X, dtype=np.float32))).softmax(-1).numpy()

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float((self.predict(X) == np.asarray(y)).mean())

    def predict_proba_mc(self, X, n_samples: int = 20) -> np.ndarray:
        """(n_samples, N, C): probabilities from passes with dropout left on (Gal &
        Ghahramani 2016); a model without dropout gives identical passes."""
        self._require_model()
        x = tensor(np.asarray(X, dtype=np.float32))
        self.model.train()
        try:
            with no_grad():
                passes = [self.model(x).softmax(-1).numpy() for _ in range(n_samples)]
        finally:
            self.model.eval()
        return np.stack(passes)

    def embed(self, X) -> np.ndarray:
        """(N, D): the inputs of the model's last ``nn.Linear`` (its penultimate features)."""
        self._require_model()
        linears = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise TypeError(f"embed: {type(self.model).__name__} has no nn.Linear layer")
        captured = []
        handle = linears[-1].register_forward_hook(lambda m, i, o: captured.append(i[0]))
        try:
            self.predict_proba(X)
        finally:
            handle.remove()
        return captured[0].numpy()


class ActiveLearner:
    """A model, its labelled set and its query strategy (modAL's ``ActiveLearner``).

    Args:
        estimator: anything with ``fit(X, y)`` and ``predict_proba(X)``
            (:class:`NetworkClassifier`, a scikit-learn classifier).
        query_strategy: ``strategy(learner, X_pool, n_instances, rng) -> indices``, e.g.
            :func:`~abinitio.active.entropy_sampling`.
        X_training, y_training: the initial labelled set (fitted at once when given).

    Example:
        >>> import numpy as np
        >>> from abinitio import nn
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(60, 2)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> clf = NetworkClassifier(lambda: nn.Linear(2, 2), 2, steps=50, lr=0.1)
        >>> learner = ActiveLearner(clf, X_training=x[:4], y_training=y[:4])
        >>> index, instances = learner.query(x[4:], n_instances=3)
        >>> learner.teach(instances, y[4:][index])
        >>> len(learner.y_training)
        7

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, estimator, query_strategy=entropy_sampling, X_training=None,
                 y_training=None, rng=None) -> None:  # fmt: skip
        self.estimator, self.query_strategy = estimator, query_strategy
        self.rng = np.random.default_rng(rng)
        self.X_training = self.y_training = None
        if X_training is not None:
            self.teach(X_training, y_training)

    def teach(self, X, y) -> None:
        """Add (X, y) to the labelled set and refit on all of it."""
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"teach: {len(X)} inputs but {len(y)} labels")
        if self.X_training is None:
            self.X_training, self.y_training = X, y
        else:
            self.X_training = np.concatenate([self.X_training, X])
            self.y_training = np.concatenate([self.y_training, y])
        self.estimator.fit(self.X_training, self.y_training)

    def query(self, X_pool, n_instances: int = 1):
        """``(indices, X_pool[indices])``: what the strategy asks to label next."""
        index = np.asarray(self.query_strategy(self, X_pool, n_instances, self.rng))
        return index, X_pool[index]

    def predict_proba(self, X) -> np.ndarray:
        return self.estimator.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.predict_proba(X)).argmax(axis=1)

    def score(self, X, y) -> float:
        return float((self.predict(X) == np.asarray(y)).mean())


class Committee(ActiveLearner):
    """Several learners that vote (modAL's ``Committee``): each member keeps its own
    estimator (e.g. the same network from another seed) and all are taught the same labels.

    ``predict_proba`` is the consensus (the members' mean); ``committee_proba`` stacks the
    members' tables, (M, N, C), for :func:`~abinitio.active.vote_entropy` and
    :func:`~abinitio.active.consensus_kl`.

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, learner_list, query_strategy, rng=None) -> None:
        learners = list(learner_list)
        if len(learners) < 2:
            raise ValueError(f"Committee: needs at least 2 learners, got {len(learners)}")
        self.learners = learners
        first = learners[0]
        super().__init__(None, query_strategy, rng=rng)
        self.X_training, self.y_training = first.X_training, first.y_training

    def teach(self, X, y) -> None:
        for learner in self.learners:
            learner.teach(X, y)
        self.X_training, self.y_training = self.learners[0].X_training, self.learners[0].y_training

    def committee_proba(self, X) -> np.ndarray:
        return np.stack([np.asarray(learner.predict_proba(X)) for learner in self.learners])

    def predict_proba(self, X) -> np.ndarray:
        return self.committee_proba(X).mean(axis=0)
