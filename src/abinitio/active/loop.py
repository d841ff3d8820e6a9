"""The pool-based loop: label a few, train, ask for the most useful next labels, repeat.

    labelled <- n_initial random pool samples, labelled by the oracle
    repeat:  fit the model on labelled;  record its test accuracy
             ask the strategy for n_instances unlabelled samples;  the oracle labels them

:class:`ActiveLoop` runs it over a fixed pool with any oracle, and (given ``state_dir``)
writes ``state.json`` after every answer: who is labelled, with what, what is still
pending, the history. A new ``ActiveLoop`` on the same directory continues where the last
one stopped (with a person as the oracle, between sessions), and because the estimator's
training depends only on its seed and the labelled set, the resumed run is the same run.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from abinitio.active.uncertainty import check_n_instances

STATE_NAME = "state.json"


def pool_fingerprint(X_pool) -> str:
    """A short hash of the pool's shape and bytes: resuming on another pool is refused."""
    array = np.ascontiguousarray(X_pool, dtype=np.float32)
    digest = hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()
    return digest[:16]


class ActiveLoop:
    """Pool-based active learning with an oracle, resumable from ``state_dir``.

    Args:
        learner: an :class:`~abinitio.active.ActiveLearner` or
            :class:`~abinitio.active.Committee` with no labelled set yet.
        X_pool: (N, ...) every sample that may be labelled.
        oracle: an object with ``label(indices, X) -> {index: class}``.
        n_instances: samples asked for per round (the query batch).
        n_initial: random samples labelled before the first model exists.
        num_classes: the number of classes (to say which the initial set misses).
        state_dir: where ``state.json`` goes (None: nothing is written).
        seed: seeds the initial draw and every query's randomness (round by round).
        log: where messages go (``print``; None for silence).

    Example:
        >>> import numpy as np
        >>> from abinitio import nn
        >>> from abinitio.active import ActiveLearner, ArrayOracle, NetworkClassifier
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(80, 2)).astype(np.float32)
        >>> y = (x[:, 1] > 0).astype(np.int64)
        >>> clf = NetworkClassifier(lambda: nn.Linear(2, 2), 2, steps=50, lr=0.1)
        >>> loop = ActiveLoop(ActiveLearner(clf), x, ArrayOracle(y), n_instances=5,
        ...                   n_initial=6, num_classes=2, log=None)
        >>> history = loop.run(3, evaluate=lambda learner: learner.score(x, y))
        >>> [record["labels"] for record in history]
        [6, 11, 16]

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, learner, X_pool, oracle, *, n_instances: int = 10, n_initial: int = 10,
                 num_classes: int | None = None, state_dir=None, seed: int = 0,
                 log=print) -> None:  # fmt: skip
        self.learner, self.X_pool, self.oracle = learner, np.asarray(X_pool), oracle
        check_n_instances(n_initial, len(self.X_pool))
        check_n_instances(n_instances, len(self.X_pool))
        self.n_instances, self.n_initial, self.num_classes = n_instances, n_initial, num_classes
        self.state_dir, self.seed, self._log = state_dir, seed, log
        self.labelled, self.labels, self.pending, self.history = [], [], [], []
        self.round = 0
        self.fingerprint = pool_fingerprint(self.X_pool)
        if state_dir is not None and os.path.exists(self.state_path):
            self._load()

    # ---- state ---------------------------------------------------------------------------
    @property
    def state_path(self) -> str:
        return os.path.join(self.state_dir, STATE_NAME)

    def _load(self) -> None:
        state = self._read_state()
        if state["pool"] != self.fingerprint:
            raise ValueError(
                f"{self.state_path} was written for another pool (fingerprint {state['pool']}, "
                f"this pool has {self.fingerprint}); use another directory"
            )
        self.labelled, self.labels = state["labelled"], state["labels"]
        self.pending, self.history, self.round = state["pending"], state["history"], state["round"]
        if self.labelled:
            self.learner.teach(self.X_pool[self.labelled], np.array(self.labels))
        self.log(f"resumed {self.state_path}: {len(self.labelled)} labelled, "
                 f"{len(self.pending)} pending")  # fmt: skip

    def _read_state(self) -> dict:
        """``state.json``, checked against the pool: a damaged or foreign file is a
        ValueError naming it (found by scripts/fuzz.py: it was an IndexError, a TypeError,
        a KeyError or a RecursionError)."""
        path = self.state_path
        try:
            with open(path, encoding="utf-8") as file:
                state = json.load(file)
        except (ValueError, RecursionError) as error:  # bad JSON, bad UTF-8, deep nesting
            raise ValueError(f"{path} is not a state.json ActiveLoop wrote: {error}") from None

        def refuse(what: str):
            raise ValueError(f"{path} is not a state.json ActiveLoop wrote: {what}")

        keys = ("pool", "round", "labelled", "labels", "pending", "history")
        if not isinstance(state, dict) or not all(key in state for key in keys):
            refuse(f"expected an object with {', '.join(keys)}")
        if not isinstance(state["pool"], str):
            refuse("pool is not a fingerprint")

        def indices(name: str, high: int | None) -> list:
            values = state[name]
            if not isinstance(values, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < (high or 2**62)
                for v in values
            ):
                bound = f"in [0, {high})" if high else "non-negative"
                refuse(f"{name} must be a list of integers {bound}")
            return values

        size = len(self.X_pool)
        labelled, pending = indices("labelled", size), indices("pending", size)
        labels = indices("labels", self.num_classes)
        if len(set(labelled)) < len(labelled) or len(set(pending)) < len(pending):
            refuse("a sample is listed twice")
        if set(labelled) & set(pending) or len(labels) != len(labelled):
            refuse("labelled, labels and pending do not agree")
        if not isinstance(state["history"], list) or not all(
            isinstance(record, dict) for record in state["history"]
        ):
            refuse("history must be a list of records")
        round_ = state["round"]
        if isinstance(round_, bool) or not isinstance(round_, int) or round_ < 0:
            refuse(f"round must be a non-negative integer, got {str(round_)[:50]}")
        return state

    def save(self) -> None:
        if self.state_dir is None:
            return
        os.makedirs(self.state_dir, exist_ok=True)
        state = {"pool": self.fingerprint, "seed": self.seed, "round": self.round,
                 "labelled": self.labelled, "labels": self.labels, "pending": self.pending,
                 "history": self.history}  # fmt: skip
        temporary = self.state_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(state, file)
        os.replace(temporary, self.state_path)

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # ---- the loop --------------------------------------------------------------------------
    def unlabelled(self) -> np.ndarray:
        mask = np.ones(len(self.X_pool), dtype=bool)
        mask[self.labelled] = False
        return np.flatnonzero(mask)

    def _ask(self) -> list:
        """The next indices to label: random ones first, then the strategy's choice."""
        rng = np.random.default_rng([self.seed, self.round])
        free = self.unlabelled()
        if not self.labelled:
            return sorted(rng.choice(free, size=self.n_initial, replace=False).tolist())
        check_n_instances(self.n_instances, len(free))
        self.learner.rng = rng
        index, _ = self.learner.query(self.X_pool[free], self.n_instances)
        return free[index].tolist()

    def step(self, evaluate=None) -> bool:
        """One round. Returns False when the oracle left some queries unanswered (they
        stay pending; the state is saved), True when the round finished."""
        if not self.pending:
            self.pending = self._ask()
            self.save()
        answers = self.oracle.label(self.pending, self.X_pool[self.pending])
        new = [i for i in self.pending if i in answers]
        if new:
            first = not self.labelled
            self.labelled += new
            self.labels += [int(answers[i]) for i in new]
            self.pending = [i for i in self.pending if i not in answers]
            self.learner.teach(self.X_pool[new], np.array([answers[i] for i in new]))
            if first:
                self._warn_missing_classes()
        if self.pending:
            self.save()
            return False
        self.round += 1
        record = {"round": self.round, "labels": len(self.labelled), "queried": new}
        if evaluate is not None:
            record["accuracy"] = float(evaluate(self.learner))
        self.history.append(record)
        self.save()
        return True

    def run(self, rounds: int, evaluate=None) -> list:
        """Run until ``rounds`` rounds are done in total (the first labels the initial
        set), or the oracle stops answering; returns the history."""
        while self.round < rounds:
            if not self.step(evaluate):
                self.log(f"{len(self.pending)} sample(s) still wait for a label; run again "
                         "to continue")  # fmt: skip
                break
        return self.history

    def _warn_missing_classes(self) -> None:
        if self.num_classes is None:
            return
        missing = sorted(set(range(self.num_classes)) - set(self.labels))
        if missing:
            self.log(
                f"note: the initial labelled set has no example of class(es) "
                f"{', '.join(map(str, missing))}; the model cannot predict them until a "
                "query brings one (uncertainty strategies may find them late; random and "
                "coreset sampling find them sooner)"
            )
