"""Preprocessing: scikit-learn's scalers and encoders, taking Tensors and giving float32.

These are thin wrappers, not rewrites: each holds the scikit-learn object as ``.estimator``
and forwards its fitted attributes (``scaler.mean_``, ``encoder.categories_``, ...).
What they add: Tensors or arrays in; float32 out (int64 for :class:`LabelEncoder`); a
Tensor out when a Tensor came in. scikit-learn is imported when one is created, so
``import abinitio.data`` does not load it.

The rule that matters: ``fit`` on the training split only, then ``transform`` train and
test with the same numbers, or the test set leaks into training.

==============  =============================================  =======================
class           formula, per column                            fitted attributes
==============  =============================================  =======================
StandardScaler  z = (x - mean) / std                           mean_, scale_ (std)
MinMaxScaler    x' = a + (x - min) * (b - a) / (max - min)     data_min_, data_max_
OneHotEncoder   e[i, j] = 1 if x[i] == categories[j] else 0    categories_
LabelEncoder    y' = index of y in sorted(unique(y_fit))       classes_
==============  =============================================  =======================
"""

from __future__ import annotations

import numpy as np

from abinitio.data.datasets.resources import require
from abinitio.tensor import Tensor


def _as_numpy(x):
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def _result(array, like, dtype=None):
    """``array`` as ``dtype``, and as a Tensor when the input ``like`` was one."""
    array = np.asarray(array)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if isinstance(like, Tensor) and array.dtype.kind in "biuf":
        return Tensor._make(array, False, None)
    return array


class _SklearnWrapper:
    """fit / transform / fit_transform / inverse_transform around a scikit-learn object."""

    sklearn_class = ""
    output_dtype = np.float32
    defaults: dict = {}

    def __init__(self, **kwargs) -> None:
        module = require("sklearn.preprocessing", type(self).__name__, package="scikit-learn")
        self.estimator = getattr(module, self.sklearn_class)(**{**self.defaults, **kwargs})

    def fit(self, x):
        """Learn the statistics (mean, range, categories) from ``x``; returns ``self``."""
        self.estimator.fit(_as_numpy(x))
        return self

    def transform(self, x):
        """Apply the fitted formula to ``x``."""
        return _result(self.estimator.transform(_as_numpy(x)), x, self.output_dtype)

    def fit_transform(self, x):
        """``fit(x)``, then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        """Undo ``transform``: back to the original units or categories."""
        original = self.estimator.inverse_transform(_as_numpy(x))
        numeric = original.dtype.kind in "biuf"
        return _result(original, x, self.output_dtype if numeric else None)

    def __getattr__(self, name: str):
        if name == "estimator":  # not set yet: __init__ failed
            raise AttributeError(name)
        return getattr(self.estimator, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.estimator!r})"


class StandardScaler(_SklearnWrapper):
    """Standardise each column: z = (x - mean) / std, so it has mean 0 and std 1.

    ``mean`` and ``std`` (population std, ``ddof=0``) come from the data given to ``fit``.
    Keyword arguments go to ``sklearn.preprocessing.StandardScaler``.

    Shape:
        input (N, features) -> output (N, features), float32.

    Example:
        >>> scaler = StandardScaler()
        >>> scaler.fit_transform([[1.0, 10.0], [3.0, 30.0]])
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> scaler.mean_, scaler.scale_
        (array([ 2., 20.]), array([ 1., 10.]))

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    sklearn_class = "StandardScaler"


class MinMaxScaler(_SklearnWrapper):
    """Rescale each column to [a, b]: x' = a + (x - min) * (b - a) / (max - min).

    ``min`` and ``max`` come from the data given to ``fit``; ``feature_range=(a, b)``
    defaults to (0, 1). Keyword arguments go to ``sklearn.preprocessing.MinMaxScaler``.

    Shape:
        input (N, features) -> output (N, features), float32.

    Example:
        >>> import abinitio as ab
        >>> MinMaxScaler(feature_range=(-1, 1)).fit_transform(ab.tensor([[0.0], [5.0], [10.0]]))
        tensor([[-1.],
                [ 0.],
                [ 1.]])

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    sklearn_class = "MinMaxScaler"


class OneHotEncoder(_SklearnWrapper):
    """One column of 0/1 per category: e[i, j] = 1 if x[i] == categories[j] else 0.

    Each input column is encoded separately and the blocks are placed side by side;
    ``categories_`` lists the sorted categories seen by ``fit``. The output is a dense
    float32 array. Keyword arguments go to ``sklearn.preprocessing.OneHotEncoder``
    (``handle_unknown="ignore"`` encodes unseen categories as all zeros).

    Shape:
        input (N, columns) of numbers or strings -> output (N, total categories), float32.

    Example:
        >>> encoder = OneHotEncoder()
        >>> encoder.fit_transform([["red"], ["green"], ["red"]])
        array([[0., 1.],
               [1., 0.],
               [0., 1.]], dtype=float32)
        >>> encoder.categories_[0].tolist()
        ['green', 'red']

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    sklearn_class = "OneHotEncoder"
    defaults = {"sparse_output": False, "dtype": np.float32}


class LabelEncoder(_SklearnWrapper):
    """Class labels to integers 0..K-1: y' = the index of y in sorted(unique(y_fit)).

    ``classes_`` holds the sorted labels, so ``classes_[k]`` is the name of class ``k``.

    Shape:
        input (N,) of numbers or strings -> output (N,), int64.

    Example:
        >>> encoder = LabelEncoder()
        >>> encoder.fit_transform(["cat", "dog", "cat", "bird"])
        array([1, 2, 1, 0])
        >>> encoder.inverse_transform([2, 0]).tolist()
        ['dog', 'bird']

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    sklearn_class = "LabelEncoder"
    output_dtype = np.int64


__all__ = ["LabelEncoder", "MinMaxScaler", "OneHotEncoder", "StandardScaler"]
