"""The no free lunch theorem, checked by exhaustive counting; and its practical face.

Wolpert (1996): on a finite input space X with labels {0, 1}, fix a training set D of m
inputs. For ANY learner A (a deterministic map from the labelled D to predictions on the
other |X| - m inputs), the off-training-set accuracy averaged uniformly over all
2^|X| target functions f is exactly 1/2:

    (1 / 2^|X|) sum_f  acc_OTS(A, f) = 1/2.

Proof by counting: the targets that agree with one training labelling range over all
2^(|X| - m) labellings of the test inputs, and whatever A predicts at a test input, half
of them agree with it. Here every one of the 2^(2^n) Boolean functions of n inputs
(256 for n = 3, 65,536 for n = 4) is enumerated and every correct prediction is counted:
the result is an exact fraction, not a sampled mean. A learner only sees the training
labels, so it is run once per distinct training labelling (2^m runs) and its predictions
are looked up for each function that shares that labelling.

The practical face: no optimiser wins everywhere either. :func:`compare_optimisers` runs
SGD, momentum, Adam and RMSprop on problems of different shapes and ranks them per problem.

See the article docs/articles/theory/no_free_lunch.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from abinitio.creation import tensor
from abinitio.nn import functional as F
from abinitio.nn.modules.activation import Tanh
from abinitio.nn.modules.container import Sequential
from abinitio.nn.modules.linear import Linear
from abinitio.nn.parameter import Parameter
from abinitio.optim import SGD, Adam, RMSprop
from abinitio.random import manual_seed

Learner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def boolean_inputs(n_inputs: int) -> np.ndarray:
    """All 2^n input vectors of n bits, shape (2^n, n), row i = the bits of i.

    Example:
        >>> boolean_inputs(2).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or not 1 <= n_inputs <= 4:
        raise ValueError(f"n_inputs must be an int from 1 to 4, got {n_inputs!r}")
    return _bits(n_inputs)


def _bits(n):
    """Row i holds the n bits of i, most significant first."""
    codes = np.arange(2**n, dtype=np.int64)
    return (codes[:, None] >> np.arange(n - 1, -1, -1)) & 1


def all_boolean_functions(n_inputs: int) -> np.ndarray:
    """Every Boolean function of n inputs as its truth table: shape (2^(2^n), 2^n),
    entry [f, i] = f(boolean_inputs(n)[i]).

    Example:
        >>> all_boolean_functions(1).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]

    See the article docs/articles/theory/no_free_lunch.py.
    """
    return _bits(len(boolean_inputs(n_inputs))).astype(np.uint8)


@dataclass
class OffTrainingSetResult:
    """The exhaustive count for one learner: ``correct`` right predictions out of
    ``total`` off-training-set predictions over all target functions, and each
    function's own accuracy (``per_function``, a float array).

    See the article docs/articles/theory/no_free_lunch.py.
    """

    name: str
    correct: int
    total: int
    per_function: np.ndarray

    @property
    def accuracy(self) -> Fraction:
        """correct / total, as an exact fraction."""
        return Fraction(self.correct, self.total)


def off_training_set_accuracy(
    learner: Learner,
    n_inputs: int = 3,
    train: Sequence[int] | None = None,
    name: str | None = None,
) -> OffTrainingSetResult:
    """Count ``learner``'s correct off-training-set predictions over all 2^(2^n) targets.

    Args:
        learner: ``learner(x_train, y_train, x_test) -> predictions`` in {0, 1}.
        n_inputs: n (1 to 4).
        train: indices into ``boolean_inputs(n)`` of the training inputs (distinct);
            default the first half.
        name: label for the result (default the learner's ``__name__``).

    Example:
        >>> off_training_set_accuracy(majority, 3).accuracy
        Fraction(1, 2)

    See the article docs/articles/theory/no_free_lunch.py.
    """
    x = boolean_inputs(n_inputs)
    train = np.arange(len(x) // 2) if train is None else np.asarray(train, dtype=np.int64)
    if train.ndim != 1 or len(np.unique(train)) != len(train) or len(train) >= len(x):
        raise ValueError(
            f"train must be distinct indices leaving a test input, got {train.tolist()}"
        )
    if train.min(initial=0) < 0 or train.max(initial=0) >= len(x):
        raise ValueError(f"train indices must lie in [0, {len(x)}), got {train.tolist()}")
    test = np.setdiff1d(np.arange(len(x)), train)
    labellings = _bits(len(train))
    predictions = np.stack(
        [np.asarray(learner(x[train], y, x[test])).reshape(-1) for y in labellings]
    ).astype(np.uint8)
    if predictions.shape[1] != len(test) or not np.isin(predictions, (0, 1)).all():
        raise ValueError(f"the learner must return {len(test)} labels in {{0, 1}}")
    functions = all_boolean_functions(n_inputs)
    weights = 2 ** np.arange(len(train) - 1, -1, -1)
    code = functions[:, train].astype(np.int64) @ weights  # each f's training labelling
    hits = (functions[:, test] == predictions[code]).sum(1)
    return OffTrainingSetResult(
        name or getattr(learner, "__name__", repr(learner)),
        int(hits.sum()),
        functions.shape[0] * len(test),
        hits / len(test),
    )


def majority(x_train, y_train, x_test):
    """Predict the majority training label everywhere (ties: 0): a constant predictor."""
    label = int(2 * np.sum(y_train) > len(y_train))
    return np.full(len(x_test), label)


def nearest_neighbour(x_train, y_train, x_test):
    """Predict the label of the training input at the smallest Hamming distance
    (ties: the first such input)."""
    if len(x_train) == 0:
        return np.zeros(len(x_test), np.int64)
    distance = np.abs(x_test[:, None, :] - x_train[None, :, :]).sum(-1)
    return np.asarray(y_train)[distance.argmin(1)]


def anti_learner(learner: Learner) -> Learner:
    """The learner that predicts the opposite of ``learner`` on every test input.

    See the article docs/articles/theory/no_free_lunch.py.
    """

    def anti(x_train, y_train, x_test):
        return 1 - np.asarray(learner(x_train, y_train, x_test))

    anti.__name__ = f"anti-{getattr(learner, '__name__', 'learner')}"
    return anti


def mlp_learner(hidden: int = 8, steps: int = 100, lr: float = 0.5, seed: int = 0) -> Learner:
    """A trained network: Linear(n, hidden), Tanh, Linear(hidden, 1), full-batch SGD on
    binary cross-entropy with logits, reseeded at every call (so it is deterministic).

    See the article docs/articles/theory/no_free_lunch.py.
    """

    def mlp(x_train, y_train, x_test):
        manual_seed(seed)
        n = x_train.shape[1]
        model = Sequential(Linear(n, hidden), Tanh(), Linear(hidden, 1))
        x = tensor((2 * x_train - 1).astype(np.float32))
        y = tensor(np.asarray(y_train, np.float32)[:, None])
        optimizer = SGD(model.parameters(), lr=lr)
        for _ in range(steps if len(x_train) else 0):
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(x), y).backward()
            optimizer.step()
        logits = model(tensor((2 * x_test - 1).astype(np.float32))).detach().numpy()
        return (logits.reshape(-1) > 0).astype(np.int64)

    mlp.__name__ = f"mlp({hidden})"
    return mlp


# ---- the practical face: no optimiser is best on every problem ----------------------


def _quadratic(w):
    scales = tensor(np.logspace(0, 2, w.shape[0]).astype(np.float32))
    return 0.5 * (scales * w * w).sum()


def _rosenbrock(w):
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _sharp_bowl(w):
    # curvature 1000 = 1 / lr of SGD: one plain step lands on the minimum
    return 500 * (w * w).sum()


def _badly_scaled(w):
    # one coordinate's gradient is 100 times smaller: per-coordinate steps (Adam) help
    scales = tensor(np.array([1.0, 1e-2], np.float32))
    return 50 * ((scales * (w - 3)) ** 2).sum()


# name -> (loss of a 1-D tensor w, the centre of the starting points)
PROBLEMS = {
    "ill-conditioned quadratic": (_quadratic, np.ones(10)),
    "Rosenbrock": (_rosenbrock, np.array([-1.2, 1.0])),
    "sharp bowl": (_sharp_bowl, np.ones(2)),
    "badly scaled": (_badly_scaled, np.zeros(2)),
}

OPTIMISERS = {
    "SGD": lambda p: SGD(p, lr=1e-3),
    "momentum": lambda p: SGD(p, lr=1e-3, momentum=0.9),
    "Adam": lambda p: Adam(p, lr=1e-2),
    "RMSprop": lambda p: RMSprop(p, lr=1e-2),
}


def compare_optimisers(
    problems: dict | None = None,
    optimisers: dict | None = None,
    steps: int = 500,
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, dict[str, float]]:
    """Final loss of each optimiser on each problem, the median over ``seeds`` (seed s
    starts from the problem's centre plus N(0, 0.1^2) noise).

    Args:
        problems: name -> (loss_fn(w) of a 1-D tensor, starting centre); default
            :data:`PROBLEMS` (an ill-conditioned quadratic, Rosenbrock, a sharp bowl
            whose curvature matches SGD's step, a badly scaled bowl).
        optimisers: name -> (params -> optimiser); default :data:`OPTIMISERS` (SGD and
            momentum at lr 1e-3, Adam and RMSprop at lr 1e-2).

    Returns ``{problem: {optimiser: final loss}}``; :func:`rankings` orders them.

    See the article docs/articles/theory/no_free_lunch.py.
    """
    problems = PROBLEMS if problems is None else problems
    optimisers = OPTIMISERS if optimisers is None else optimisers
    table = {}
    for problem, (loss_fn, centre) in problems.items():
        table[problem] = {}
        for name, make in optimisers.items():
            finals = []
            for seed in seeds:
                noise = np.random.default_rng(seed).normal(0.0, 0.1, len(centre))
                w = Parameter(tensor((centre + noise).astype(np.float32)))
                optimizer = make([w])
                for _ in range(steps):
                    optimizer.zero_grad()
                    loss_fn(w).backward()
                    optimizer.step()
                finals.append(float(loss_fn(w).item()))
            table[problem][name] = float(np.median(finals))
    return table


def rankings(table: dict[str, dict[str, float]]) -> dict[str, list[str]]:
    """Per problem, the optimisers from best (lowest final loss) to worst."""
    return {problem: sorted(row, key=row.get) for problem, row in table.items()}
