"""The offline data sets: toy 2-D sets, digits, MNIST-1D (generated into a temporary cache),
the text corpus, DatasetSplits and the cache directory."""

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abinitio.data import DataLoader, TensorDataset, datasets
from abinitio.data.datasets import DatasetSplits, TextCorpus, stratified_split
from abinitio.data.datasets import bundled as bundled_module
from helpers import require

TOY = {
    "moons": lambda **kw: datasets.moons(**kw),
    "circles": lambda **kw: datasets.circles(**kw),
    "spirals2": lambda **kw: datasets.spirals(n_classes=2, **kw),
    "spirals3": lambda **kw: datasets.spirals(n_classes=3, **kw),
    "xor": lambda **kw: datasets.xor(**kw),
}


def _check_splits(data, n_total, input_shape, num_classes):
    assert isinstance(data, DatasetSplits)
    x_train, y_train, x_test, y_test = data
    assert len(x_train) + len(x_test) == n_total
    assert x_train.shape[1:] == x_test.shape[1:] == input_shape == data.input_shape
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert set(np.unique(y_train)) == set(range(num_classes)) == set(np.unique(y_test))
    assert data.num_classes == len(data.classes) == num_classes
    assert np.isfinite(x_train).all()


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


# ---- toy 2-D sets --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TOY))
def test_toy_sets_shapes_dtypes_and_determinism(name):
    make = TOY[name]
    data = make(n_samples=300, seed=0)
    _check_splits(data, 300, (2,), 3 if name == "spirals3" else 2)
    assert data.name == name.rstrip("23")
    assert 0.15 < len(data.x_test) / 300 < 0.25
    assert np.abs(data.x_train).max() < 3
    assert _same(data, make(n_samples=300, seed=0))
    assert not _same(data, make(n_samples=300, seed=1))
    assert len(make(n_samples=300, test_fraction=0.5).x_test) == 150


@pytest.mark.parametrize("name", ["moons", "circles"])
def test_moons_and_circles_match_scikit_learn_without_noise(name):
    sklearn_datasets = require("sklearn.datasets")
    if name == "moons":
        ours = datasets.moons(101, noise=0.0)
        points, labels = sklearn_datasets.make_moons(101, shuffle=False)
    else:
        ours = datasets.circles(101, noise=0.0, factor=0.3)
        points, labels = sklearn_datasets.make_circles(101, shuffle=False, factor=0.3)
    x = np.concatenate([ours.x_train, ours.x_test])
    y = np.concatenate([ours.y_train, ours.y_test])
    for label in (0, 1):
        mine = np.sort(x[y == label], axis=0)
        theirs = np.sort(points[labels == label], axis=0)
        np.testing.assert_allclose(mine, theirs, atol=1e-6)


def test_spirals_and_xor_geometry_without_noise():
    spiral = datasets.spirals(300, n_classes=3, noise=0.0)
    assert np.linalg.norm(spiral.x_train, axis=1).max() <= 1 + 1e-6
    square = datasets.xor(400, noise=0.0)
    x, y = square.x_train, square.y_train
    assert np.abs(x).max() <= 1
    np.testing.assert_array_equal(y, (x[:, 0] > 0) != (x[:, 1] > 0))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.moons(3), "n_samples must be at least 4"),
        (lambda: datasets.xor(100, noise=-1), "noise must be non-negative"),
        (lambda: datasets.circles(100, factor=1.5), "factor must be between 0 and 1"),
        (lambda: datasets.spirals(100, n_classes=1), "n_classes must be at least 2"),
        (lambda: datasets.moons(100, test_fraction=1.0), "test_fraction"),
    ],
)
def test_toy_set_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- DatasetSplits and the stratified split ------------------------------------------


def test_dataset_splits_object():
    data = datasets.moons(50)
    x_train, y_train, x_test, y_test = data
    assert (
        repr(data) == "DatasetSplits(name='moons', train=40, test=10, input_shape=(2,), classes=2)"
    )
    assert isinstance(data.train, TensorDataset) and len(data.test) == 10
    x, y = next(iter(DataLoader(data.train, batch_size=8, shuffle=True)))
    assert x.shape == (8, 2) and y.dtype == np.int64
    with pytest.raises(ValueError, match=r"differ in length: train 40 vs 39"):
        DatasetSplits(x_train, y_train[:-1], x_test, y_test, "bad", ("a", "b"))


def test_stratified_split_keeps_class_shares():
    labels = np.repeat([0, 1, 2], [100, 50, 10])
    train, test = stratified_split(labels, 0.2, seed=3)
    assert np.bincount(labels[test]).tolist() == [20, 10, 2]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(160))
    again = stratified_split(labels, 0.2, seed=3)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, stratified_split(labels, 0.2, seed=4)[1])


# ---- digits --------------------------------------------------------------------------


def test_digits():
    require("sklearn")
    data = datasets.digits()
    _check_splits(data, 1797, (1, 8, 8), 10)
    assert data.x_train.min() == 0 and data.x_train.max() == 1
    assert np.abs(np.bincount(data.y_test) / len(data.y_test) - 0.1).max() < 0.01  # stratified
    assert data.classes[3] == "3"
    assert _same(data, datasets.digits(seed=0))
    assert not _same(data, datasets.digits(seed=1))
    assert data.x_train.reshape(len(data.x_train), -1).shape[1] == 64


# ---- MNIST-1D ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist1d_cache(tmp_path_factory):
    """Generate MNIST-1D once per session into a temporary cache directory."""
    require("mnist1d")
    cache = tmp_path_factory.mktemp("abinitio-cache")
    numpy_state, python_state = np.random.get_state(), random.getstate()
    data = datasets.mnist1d(cache_dir=cache)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(numpy_state, after))  # global RNG untouched
    assert random.getstate() == python_state
    return cache, data


def test_mnist1d_generated(mnist1d_cache):
    cache, data = mnist1d_cache
    _check_splits(data, 5000, (40,), 10)
    assert (len(data.x_train), len(data.x_test)) == (4000, 1000)
    assert data.name == "mnist1d"
    everything = np.concatenate([data.x_train, data.x_test])
    assert abs(everything.mean()) < 0.01 and abs(everything.std() - 1) < 0.01
    assert sorted(p.name for p in Path(cache).iterdir()) == ["mnist1d.safetensors"]


def test_mnist1d_second_call_reads_the_cache(mnist1d_cache, monkeypatch):
    cache, first = mnist1d_cache

    def no_generation():
        raise AssertionError("the cached file should have been read")

    monkeypatch.setattr(bundled_module, "_generate_mnist1d", no_generation)
    assert _same(first, datasets.mnist1d(cache_dir=cache))
    monkeypatch.setenv("ABINITIO_CACHE_DIR", str(cache))
    assert _same(first, datasets.mnist1d())


def test_mnist1d_bad_cache_is_reported(tmp_path):
    path = tmp_path / "mnist1d.safetensors"
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="cannot read the cached file .*mnist1d.safetensors"):
        datasets.mnist1d(cache_dir=tmp_path)
    from abinitio.data.datasets.resources import save_arrays

    save_arrays(path, {"x_train": np.zeros((3, 40), np.float32)}, {})
    with pytest.raises(ValueError, match="regenerate=True"):
        datasets.mnist1d(cache_dir=tmp_path)


# ---- the cache directory and light imports -------------------------------------------


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("ABINITIO_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "abinitio"
    monkeypatch.setenv("ABINITIO_CACHE_DIR", str(tmp_path / "env"))
    assert datasets.cache_dir() == tmp_path / "env"
    assert datasets.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("ABINITIO_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert datasets.cache_dir() == Path.home() / ".cache" / "abinitio"


def test_import_stays_light():
    heavy = ["sklearn", "matplotlib", "torch", "mnist1d", "scipy"]
    code = "import sys, abinitio.data, abinitio.utils.data\n"
    code += f"print([m for m in {heavy} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# ---- text ----------------------------------------------------------------------------


def test_default_text_corpus():
    corpus = datasets.text()
    assert len(corpus.text) > 100_000 and "def" in corpus.text
    assert list(corpus.vocab) == sorted(set(corpus.text)) and corpus.vocab_size > 50
    tokens = np.concatenate([corpus.train_data, corpus.val_data])
    assert tokens.dtype == np.int64 and len(tokens) == len(corpus.text)
    assert abs(len(corpus.val_data) / len(tokens) - 0.1) < 1e-3
    assert corpus.decode(tokens[:500]) == corpus.text[:500]
    assert corpus.decode(corpus.val_data) == corpus.text[-len(corpus.val_data) :]


def test_text_from_a_file_round_trips(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("héllo wörld ✓\nzweite Zeile", encoding="utf-8")
    corpus = datasets.text(path, val_fraction=0.2)
    assert corpus.name == "poem.txt" and "✓" in corpus.vocab
    sample = "wörld ✓"
    assert corpus.decode(corpus.encode(sample)) == sample
    import abinitio as ab

    assert corpus.decode(ab.tensor(corpus.encode(sample))) == sample


def test_text_errors(tmp_path):
    corpus = TextCorpus("abc")
    with pytest.raises(ValueError, match=r"characters \['z'\] are not in"):
        corpus.encode("abz")
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 3\)"):
        corpus.decode([0, 3])
    with pytest.raises(FileNotFoundError, match="no file"):
        datasets.text(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        datasets.text(tmp_path / "latin1.txt")
