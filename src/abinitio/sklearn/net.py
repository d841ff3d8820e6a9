"""``NeuralNetClassifier`` and ``NeuralNetRegressor``: abinitio modules as scikit-learn
estimators, in skorch's shape.

An estimator is a recipe (the module's class, its optimiser, learning rate, epochs,
batch size ...) that ``fit`` turns into a trained model. scikit-learn's tools need only
that contract: ``clone`` copies the recipe (``get_params``) and rebuilds an untrained
estimator; ``cross_val_score`` fits a clone per fold; ``GridSearchCV`` changes the recipe
with ``set_params``. So the estimator keeps every constructor argument as it was given,
and builds everything trained in ``fit``, under names that end in ``_`` (``module_``,
``optimizer_``, ``history_``, ``classes_``).

Arguments with a double underscore go to the part they name, as in skorch:
``module__hidden_sizes=(64,)`` to the module's constructor, ``optimizer__weight_decay``
to the optimiser, ``criterion__label_smoothing`` to the loss. Sizes the data decides
(``in_features``, ``out_features``, ``num_classes``, ``in_channels``, ``input_size``)
are filled in at ``fit`` when the module's constructor takes them and they are not given.

Pickling (scikit-learn's ``n_jobs > 1`` sends estimators to worker processes as pickles
in memory): ``__getstate__`` replaces the trained module and optimiser by the bytes of a
safetensors file (written by :func:`abinitio.save`), and ``__setstate__`` rebuilds them
from it. Weights files stay safetensors; a pickle is only the in-memory transport.
"""

from __future__ import annotations

import copy
import inspect
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import abinitio as ab
from abinitio import nn, optim
from abinitio import random as ab_random
from abinitio.data import DataLoader, TensorDataset
from abinitio.training import Trainer

PREFIXES = ("module__", "optimizer__", "criterion__")
# constructor arguments the data decides, filled in at fit when the module takes them
INFERRED = ("in_features", "out_features", "num_classes", "in_channels", "input_size")


class ValidSplit:
    """Hold out a share of the training data to validate on after every epoch (skorch's
    ``ValidSplit``): ``cv=5`` keeps 1/5 of the rows, a float ``cv`` that fraction.

    Calling it with ``(X, y)`` gives row indices ``(train, valid)``; the estimator's
    ``history_`` then has ``val_loss`` (and ``val_accuracy``) for every epoch.

    Args:
        cv: an int k >= 2 (hold out 1/k) or a float in (0, 1).
        stratified: keep every class's share in both parts (classification).
        random_state: seeds which rows are held out.

    Example:
        >>> import numpy as np
        >>> train, valid = ValidSplit(4, random_state=0)(np.zeros((8, 2)), None)
        >>> len(train), len(valid)
        (6, 2)

    See the article docs/articles/generalisation/cross_validation.py.
    """

    def __init__(self, cv=5, stratified: bool = False, random_state=None) -> None:
        is_int = isinstance(cv, (int, np.integer)) and not isinstance(cv, bool)
        if not ((is_int and cv >= 2) or (isinstance(cv, float) and 0 < cv < 1)):
            raise ValueError(f"ValidSplit: cv must be an int >= 2 or a float in (0, 1), got {cv!r}")
        self.cv, self.stratified, self.random_state = cv, stratified, random_state

    def __call__(self, X, y):
        from sklearn.model_selection import train_test_split

        fraction = 1.0 / self.cv if isinstance(self.cv, (int, np.integer)) else self.cv
        rows = np.arange(len(X))
        labels = y if self.stratified else None
        train, valid = train_test_split(
            rows, test_size=fraction, stratify=labels, random_state=self.random_state
        )
        return np.sort(train), np.sort(valid)

    def __repr__(self) -> str:
        return f"ValidSplit(cv={self.cv!r}, stratified={self.stratified})"


class NeuralNet(BaseEstimator):
    """What both estimators share: the recipe, ``fit``/``partial_fit``, nested parameters,
    pickling through safetensors bytes. Use :class:`NeuralNetClassifier` or
    :class:`NeuralNetRegressor`.

    See the article docs/articles/generalisation/cross_validation.py.
    """

    def __init__(self, module, criterion=None, optimizer=optim.Adam, lr: float = 0.01,
                 max_epochs: int = 10, batch_size: int = 128, train_split=None,
                 callbacks=None, warm_start: bool = False, verbose: int = 0,
                 random_state=None, **kwargs) -> None:  # fmt: skip
        self.module, self.criterion, self.optimizer = module, criterion, optimizer
        self.lr, self.max_epochs, self.batch_size = lr, max_epochs, batch_size
        self.train_split, self.callbacks = train_split, callbacks
        self.warm_start, self.verbose, self.random_state = warm_start, verbose, random_state
        # module__*, optimizer__*, criterion__*: kept as given (checked at fit), in a
        # private dict so that scikit-learn sees only the named arguments as attributes
        self._routed = dict(kwargs)

    # ---- the recipe: constructor arguments, plus the module__/optimizer__/criterion__ ones
    def get_params(self, deep: bool = True) -> dict:
        """The constructor's arguments, the routed ``module__*`` ... ones included."""
        return {**super().get_params(deep=deep), **self._routed}

    def set_params(self, **params):
        """Change arguments (``GridSearchCV`` does it); routed ones may be new."""
        routed = {k: v for k, v in params.items() if k.startswith(PREFIXES)}
        self._routed.update(routed)
        rest = {k: v for k, v in params.items() if k not in routed}
        return super().set_params(**rest) if rest else self

    def _prefixed(self, prefix: str) -> dict:
        for key in self._routed:
            _check_prefixed(type(self).__name__, key)
        return {k[len(prefix) :]: v for k, v in self._routed.items() if k.startswith(prefix)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # images (N, C, H, W) go straight to a CNN
        tags.non_deterministic = self.random_state is None
        return tags

    # ---- fitting ---------------------------------------------------------------------
    def fit(self, X, y, **fit_params):
        """Build a fresh module (unless ``warm_start``) and train it ``max_epochs`` epochs."""
        if not (self.warm_start and hasattr(self, "module_")):
            for name in ("module_", "optimizer_", "criterion_", "callbacks_", "history_"):
                self.__dict__.pop(name, None)
        return self.partial_fit(X, y, **fit_params)

    def partial_fit(self, X, y, classes=None, epochs: int | None = None):
        """Train ``epochs`` (default ``max_epochs``) more epochs without re-initialising;
        the first call builds the module (``classes`` lists every label, if ``y`` may
        not show them all)."""
        first = not hasattr(self, "module_")
        x, target = self._validate_xy(X, y, reset=first, classes=classes)
        epochs = self.max_epochs if epochs is None else epochs
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(
                f"{type(self).__name__}: max_epochs must be an int >= 0, got {epochs!r}"
            )
        with _seeded(self.random_state):
            if first:
                self._initialize(x)
            self._train(x, target, int(epochs))
        return self

    def _initialize(self, x: np.ndarray) -> None:
        self.module_ = self._build_module(x)
        self.criterion_ = self._build_criterion()
        params = self._prefixed("optimizer__")
        self.optimizer_ = self.optimizer(self.module_.parameters(), lr=self.lr, **params)
        self.callbacks_ = copy.deepcopy(list(self.callbacks or ()))  # their state is the fit's
        self.history_ = []

    def _build_module(self, x: np.ndarray):
        if isinstance(self.module, nn.Module):
            return copy.deepcopy(self.module)  # the recipe's module stays untrained
        kwargs = self._prefixed("module__")
        accepted = _parameters(self.module)
        for name, value in self._inferred_sizes(x).items():
            if name in accepted and name not in kwargs:
                kwargs[name] = value
        self.module_kwargs_ = kwargs
        return self.module(**kwargs)

    def _inferred_sizes(self, x: np.ndarray) -> dict:
        sizes = {"in_features": int(np.prod(x.shape[1:])),
                 "out_features": self._n_outputs(), "num_classes": self._n_outputs()}  # fmt: skip
        if x.ndim >= 3:
            sizes["in_channels"] = x.shape[1]
        if x.ndim == 4:
            sizes["input_size"] = tuple(x.shape[2:])
        return sizes

    def _build_criterion(self):
        criterion = self.criterion or self._default_criterion()
        return criterion(**self._prefixed("criterion__"))

    def _train(self, x: np.ndarray, target: np.ndarray, epochs: int) -> None:
        train_rows, valid_rows = self._split(x, target)
        train_set = TensorDataset(x[train_rows], target[train_rows])
        loader = DataLoader(train_set, batch_size=self.batch_size, shuffle=True)
        val_loader = None
        if valid_rows is not None:
            val_set = TensorDataset(x[valid_rows], target[valid_rows])
            val_loader = DataLoader(val_set, batch_size=max(self.batch_size, 256))
        trainer = Trainer(self.module_, self.optimizer_, self.criterion_,
                          callbacks=self.callbacks_, progress=False,
                          log=print if self.verbose else None)  # fmt: skip
        history = trainer.fit(loader, val_loader, epochs=epochs)
        done = len(self.history_)  # partial_fit continues the epoch count
        self.history_ += [{**record, "epoch": done + record["epoch"]} for record in history.epochs]
        self.module_.eval()

    def _split(self, x, target):
        if self.train_split is None:
            return np.arange(len(x)), None
        split = self.train_split
        if isinstance(split, float):
            split = ValidSplit(split, stratified=self._stratify, random_state=self.random_state)
        if not callable(split):
            raise TypeError(
                f"{type(self).__name__}: train_split must be None, a float in (0, 1) or a "
                f"callable (X, y) -> (train_rows, valid_rows), got {self.train_split!r}"
            )
        return split(x, target)

    # ---- predicting ------------------------------------------------------------------
    def forward(self, X) -> np.ndarray:
        """The module's raw outputs for ``X`` (logits for the classifier), batch by batch."""
        check_is_fitted(self, "module_")
        x = self._validate_x(X)
        self.module_.eval()
        outputs = []
        with ab.no_grad():
            for start in range(0, len(x), max(self.batch_size, 256)):
                chunk = ab.tensor(x[start : start + max(self.batch_size, 256)])
                outputs.append(self.module_(chunk).numpy())
        if not outputs:
            return np.zeros((0, self._n_outputs()), dtype=np.float32)
        return np.concatenate(outputs)

    # ---- input checks ----------------------------------------------------------------
    def _validate_x(self, X, reset: bool = False) -> np.ndarray:
        x = validate_data(self, X, reset=reset, dtype=np.float32, allow_nd=True)
        return np.ascontiguousarray(x, dtype=np.float32)

    # ---- pickling: the weights travel as safetensors bytes ----------------------------
    def __getstate__(self) -> dict:
        state = dict(vars(self))
        if "module_" in state:
            weights = {"module": self.module_.state_dict(),
                       "optimizer": self.optimizer_.state_dict()}  # fmt: skip
            state["weights_safetensors_"] = _to_safetensors_bytes(weights)
            for name in ("module_", "optimizer_", "criterion_"):
                state.pop(name)
        return state

    def __setstate__(self, state: dict) -> None:
        payload = state.pop("weights_safetensors_", None)
        vars(self).update(state)
        if payload is None:
            return
        weights = _from_safetensors_bytes(payload)
        random_state = ab_random.get_rng_state()  # rebuilding must not move the global stream
        try:
            module = copy.deepcopy(self.module) if isinstance(self.module, nn.Module) else None
            self.module_ = module or self.module(**self.module_kwargs_)
        finally:
            ab_random.set_rng_state(random_state)
        self.module_.load_state_dict(weights["module"])
        self.module_.eval()
        self.criterion_ = self._build_criterion()
        params = self._prefixed("optimizer__")
        self.optimizer_ = self.optimizer(self.module_.parameters(), lr=self.lr, **params)
        self.optimizer_.load_state_dict(weights["optimizer"])


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A classifier whose module returns logits: trained on cross-entropy,
    ``predict_proba`` = softmax(logits), ``predict`` = the class of the largest logit.

    .. code-block:: text

        p(class k | x) = exp(z_k) / sum_j exp(z_j),  z = module(x)
        loss = -mean_i log p(y_i | x_i)             dloss/dz = (p - onehot(y)) / N

    Labels may be any values ``np.unique`` sorts (ints, strings); ``classes_`` holds them
    and the module sees their indices.

    Args:
        module: an :class:`abinitio.nn.Module` class (built at fit with the
            ``module__*`` arguments and the sizes the data gives) or instance (copied).
        criterion: the loss class; default :class:`abinitio.nn.CrossEntropyLoss`.
        optimizer: an :mod:`abinitio.optim` class; default Adam (skorch's is SGD).
        lr: the learning rate given to the optimiser.
        max_epochs: epochs per ``fit`` (and per ``partial_fit``).
        batch_size: samples per step.
        train_split: ``None`` (train on all rows; skorch holds out 20% by default), a
            float fraction or a :class:`ValidSplit` to validate on after every epoch.
        callbacks: :class:`abinitio.training.Callback` objects (``EarlyStopping``, ...).
        warm_start: ``fit`` continues training the existing module instead of a new one.
        verbose: 1 prints one line per epoch.
        random_state: seeds the weights, shuffling, dropout and the split; ``None`` uses
            abinitio's global generator.
        **kwargs: ``module__*``, ``optimizer__*``, ``criterion__*`` arguments.

    Example:
        >>> import numpy as np
        >>> from abinitio.models import MLP
        >>> x = np.random.default_rng(0).normal(size=(60, 4))
        >>> y = (x[:, 0] > 0).astype(int)
        >>> net = NeuralNetClassifier(MLP, module__hidden_sizes=(16,), max_epochs=20,
        ...                           random_state=0).fit(x, y)
        >>> net.classes_, net.n_features_in_, net.predict_proba(x[:2]).sum(1).round(6).tolist()
        (array([0, 1]), 4, [1.0, 1.0])

    See the article docs/articles/generalisation/cross_validation.py.
    """

    _stratify = True

    def _default_criterion(self):
        return nn.CrossEntropyLoss

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _validate_xy(self, X, y, reset: bool, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        x, y = validate_data(self, X, y, reset=reset, dtype=np.float32, allow_nd=True)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"{type(self).__name__}: labels {unknown[:5].tolist()} are not among "
                f"classes_ {self.classes_[:10].tolist()}"
            )
        target = np.searchsorted(self.classes_, y).astype(np.int64)
        return np.ascontiguousarray(x, dtype=np.float32), target

    def predict_proba(self, X) -> np.ndarray:
        """softmax(module(X)) row by row, in float64: (N, n_classes), rows sum to 1."""
        logits = self.forward(X).astype(np.float64)
        # subtract the row max first: exp cannot overflow and the softmax is unchanged
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The class of the largest logit (argmax of ``predict_proba``), from ``classes_``."""
        logits = self.forward(X)
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A regressor trained on the mean squared error: ``predict`` is the module's output.

    .. code-block:: text

        loss = mean_i,j (f(x_i)_j - y_ij)^2        dloss/df = 2 (f - y) / (N * outputs)

    ``y`` may be 1-D (one target, ``predict`` gives 1-D) or (N, outputs); the module
    gets ``out_features = outputs``. Arguments as for :class:`NeuralNetClassifier`,
    with :class:`abinitio.nn.MSELoss` as the default criterion; ``score`` is R^2.

    Example:
        >>> import numpy as np
        >>> from abinitio.models import MLP
        >>> x = np.linspace(-1, 1, 64)[:, None]
        >>> net = NeuralNetRegressor(MLP, module__hidden_sizes=(16,), max_epochs=5,
        ...                          random_state=0).fit(x, 2 * x[:, 0])
        >>> net.predict(x[:3]).shape
        (3,)

    See the article docs/articles/generalisation/cross_validation.py.
    """

    _stratify = False

    def _default_criterion(self):
        return nn.MSELoss

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _validate_xy(self, X, y, reset: bool, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        x, y = validate_data(self, X, y, reset=reset, dtype=np.float32, allow_nd=True,
                             multi_output=True, y_numeric=True)  # fmt: skip
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.target_1d_ = y.ndim == 1
        target = y.reshape(len(y), -1)
        if target.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}: y has {target.shape[1]} outputs, the estimator was "
                f"fitted with {self.n_outputs_}"
            )
        return np.ascontiguousarray(x, dtype=np.float32), target

    def predict(self, X) -> np.ndarray:
        """module(X) in float64 (scikit-learn's convention for regressors): (N,) when
        fitted on a 1-D target, else (N, outputs)."""
        outputs = self.forward(X).astype(np.float64)
        return outputs[:, 0] if self.target_1d_ else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (N, outputs): one output each
        return tags


# ---- helpers ----------------------------------------------------------------------------
def _check_prefixed(owner: str, key: str) -> None:
    if not key.startswith(PREFIXES):
        raise TypeError(
            f"{owner}: unexpected argument {key!r}; extra arguments must start with "
            f"{', '.join(PREFIXES)}"
        )


def _parameters(module_class) -> set:
    try:
        return set(inspect.signature(module_class).parameters)
    except (TypeError, ValueError):
        return set()


class _seeded:
    """With a ``random_state``: seed abinitio's global generator for the block and put
    its previous state back afterwards, so fits repeat and leave no trace."""

    def __init__(self, random_state) -> None:
        self.random_state, self.saved = random_state, None

    def __enter__(self):
        if self.random_state is not None:
            self.saved = ab_random.get_rng_state()
            ab.manual_seed(int(self.random_state))

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            ab_random.set_rng_state(self.saved)


def _to_safetensors_bytes(obj) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "weights.safetensors")
        ab.save(obj, path)
        with open(path, "rb") as file:
            return file.read()


def _from_safetensors_bytes(payload: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "weights.safetensors")
        with open(path, "wb") as file:
            file.write(payload)
        return ab.load(path)
