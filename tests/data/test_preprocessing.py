"""Preprocessing wrappers: each matches its formula, returns float32 (int64 for labels),
and gives a Tensor back for a Tensor."""

import numpy as np
import pytest

import abinitio as ab
from helpers import require

require("sklearn")

from abinitio.data.preprocessing import (  # noqa: E402  (after the skip: needs scikit-learn)
    LabelEncoder,
    MinMaxScaler,
    OneHotEncoder,
    StandardScaler,
)


@pytest.fixture
def columns():
    rng = np.random.default_rng(0)
    return rng.normal([3.0, -50.0, 0.1], [2.0, 10.0, 0.01], size=(40, 3))


def test_standard_scaler_formula(columns):
    train, test = columns[:30], columns[30:]
    scaler = StandardScaler().fit(train)
    z = scaler.transform(test)
    expected = (test - train.mean(axis=0)) / train.std(axis=0)  # population std (ddof=0)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    fitted = StandardScaler().fit_transform(train)
    np.testing.assert_allclose(fitted.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(fitted.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(z), test, rtol=1e-5)


def test_min_max_scaler_formula(columns):
    low, high = columns.min(axis=0), columns.max(axis=0)
    x01 = MinMaxScaler().fit_transform(columns)
    np.testing.assert_allclose(x01, (columns - low) / (high - low), atol=1e-6)
    assert x01.dtype == np.float32 and x01.min() == 0 and x01.max() == 1
    a, b = -1, 3
    ranged = MinMaxScaler(feature_range=(a, b)).fit_transform(columns)
    np.testing.assert_allclose(ranged, a + (columns - low) * (b - a) / (high - low), atol=1e-5)


def test_tensors_in_tensors_out(columns):
    x = ab.tensor(columns)
    z = StandardScaler().fit_transform(x)
    assert isinstance(z, ab.Tensor) and z.dtype == np.float32 and z.shape == (40, 3)
    w = ab.tensor(columns, requires_grad=True)  # statistics are data, not part of a graph
    assert not StandardScaler().fit_transform(w).requires_grad


def test_one_hot_encoder():
    colours = np.array([["red", "S"], ["green", "M"], ["red", "M"], ["blue", "S"]])
    encoder = OneHotEncoder()
    e = encoder.fit_transform(colours)
    assert e.dtype == np.float32 and e.shape == (4, 3 + 2)
    assert [c.tolist() for c in encoder.categories_] == [["blue", "green", "red"], ["M", "S"]]
    expected = np.array(
        [[0, 0, 1, 0, 1], [0, 1, 0, 1, 0], [0, 0, 1, 1, 0], [1, 0, 0, 0, 1]], dtype=np.float32
    )
    np.testing.assert_array_equal(e, expected)
    assert encoder.inverse_transform(e).tolist() == colours.tolist()
    ignoring = OneHotEncoder(handle_unknown="ignore").fit(colours)
    assert ignoring.transform([["pink", "M"]]).tolist() == [[0, 0, 0, 1, 0]]


def test_one_hot_of_integer_labels_matches_sorted_categories():
    labels = ab.tensor([[2], [0], [2], [5]])
    e = OneHotEncoder().fit_transform(labels)
    assert isinstance(e, ab.Tensor)
    assert e.numpy().argmax(axis=1).tolist() == [1, 0, 1, 2]  # categories [0, 2, 5]


def test_label_encoder():
    names = ["dog", "cat", "dog", "bird", "cat"]
    encoder = LabelEncoder()
    y = encoder.fit_transform(names)
    assert y.dtype == np.int64
    assert y.tolist() == [sorted(set(names)).index(name) for name in names]
    assert encoder.classes_.tolist() == ["bird", "cat", "dog"]
    assert encoder.inverse_transform(y).tolist() == names
    numeric = LabelEncoder().fit_transform(ab.tensor([10, 30, 10]))
    assert isinstance(numeric, ab.Tensor) and numeric.tolist() == [0, 1, 0]


def test_wrapper_details():
    scaler = StandardScaler(with_std=False)
    assert "with_std=False" in repr(scaler)
    with pytest.raises(AttributeError):
        getattr(scaler, "mean_")  # noqa: B009  (not fitted yet: scikit-learn raises)
    assert scaler.fit([[1.0], [3.0]]).transform([[2.0]]).tolist() == [[0.0]]
