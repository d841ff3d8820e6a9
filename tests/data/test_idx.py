"""The IDX parser and the MNIST / Fashion-MNIST loaders, on small files written here."""

import gzip

import numpy as np
import pytest

from abinitio.data.datasets import fashion_mnist, mnist, read_idx, write_idx
from abinitio.data.datasets.vision import IDX_FILES, parse_idx

N_TRAIN, N_TEST = 6, 4


def _write_set(directory, gz=(False, True, False, True), seed=0):
    """Four small IDX files (some gzipped) in MNIST's layout; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = [
        rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=N_TRAIN, dtype=np.uint8),
        rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=N_TEST, dtype=np.uint8),
    ]
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array, zipped in zip(IDX_FILES, arrays, gz):
        write_idx(directory / (stem + (".gz" if zipped else "")), array)
    return arrays


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == dtype and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert path.read_bytes()[:2] == (b"\x1f\x8b" if suffix else b"\x00\x00")


def test_idx_header_bytes(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 3, 1, 4])
    write_idx(path, np.array([[1]], dtype=np.int32))
    assert path.read_bytes() == bytes([0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    assert read_idx(path).tolist() == [[1]]


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(bytes([8, 3, 0, 1]) + bytes(8))
    with pytest.raises(ValueError, match=r"bad-idx1-ubyte: not an IDX file.*08 03 00 01"):
        read_idx(path)
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]))  # 0x07 is no type code
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file(tmp_path, gz):
    raw = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(5)  # 6 values promised
    path = tmp_path / ("short-idx2" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match=r"short-idx2.*truncated.*\(2, 3\).*18 bytes.*17"):
        read_idx(path)
    with pytest.raises(ValueError, match="truncated IDX file: 6 bytes"):
        parse_idx(raw[:6])
    with pytest.raises(ValueError, match="too long"):
        parse_idx(raw + bytes(2))


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut-idx1.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))[:30])
    with pytest.raises(ValueError, match="cut-idx1.gz: a corrupt or truncated gzip"):
        read_idx(path)


def test_write_idx_rejects_other_dtypes(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot hold dtype uint16"):
        write_idx(tmp_path / "x", np.zeros(2, dtype=np.uint16))


@pytest.mark.parametrize("loader", [mnist, fashion_mnist])
def test_mnist_from_plain_and_gzipped_files(tmp_path, loader):
    arrays = _write_set(tmp_path)
    data = loader(tmp_path)
    assert data.name == loader.__name__
    assert data.x_train.shape == (N_TRAIN, 1, 28, 28) and data.x_test.shape == (N_TEST, 1, 28, 28)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    np.testing.assert_allclose(data.x_test[:, 0] * 255, arrays[2], atol=1e-4)
    assert data.y_train.tolist() == arrays[1].tolist()
    assert data.num_classes == 10


def test_fashion_class_names_and_torchvision_layout(tmp_path):
    _write_set(tmp_path / "FashionMNIST" / "raw", gz=(True,) * 4)
    data = fashion_mnist(tmp_path)
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"


def test_missing_directory_lists_the_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        mnist(tmp_path / "nowhere")
    message = str(info.value)
    assert "nowhere is not a directory" in message
    assert all(stem in message for stem in IDX_FILES)
    assert "https://" in message


def test_missing_file_is_named(tmp_path):
    _write_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte\\. .*Download"):
        mnist(tmp_path)


def test_count_mismatch_names_both_files(tmp_path):
    _write_set(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN - 1, dtype=np.uint8))
    expected = r"train-images-idx3-ubyte holds 6 images but .*train-labels.*gz holds 5 labels"
    with pytest.raises(ValueError, match=expected):
        mnist(tmp_path)


def test_wrong_kind_of_file(tmp_path):
    _write_set(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((N_TEST, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: expected uint8 images"):
        mnist(tmp_path)
    _write_set(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(N_TEST, 10, dtype=np.uint8))
    with pytest.raises(ValueError, match="labels must be below 10, found 10"):
        mnist(tmp_path)
