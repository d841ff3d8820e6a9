"""MNIST and Fashion-MNIST from the IDX files in a directory you give, parsed here.

abinitio downloads nothing: fetch the four files by hand (links in the error message when
they are missing) and pass their directory. Each may be gzipped (``.gz``) or not; a
torchvision download (``root/MNIST/raw/...``) is found too.

The IDX format (LeCun et al.) is a 4-byte magic number, ``0x00 0x00 <type> <ndim>``, then
``ndim`` big-endian uint32 sizes, then the values, big-endian, in C order. ``<type>`` is
0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32 or 0x0E float64.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from abinitio.data.datasets.bundled import DIGIT_CLASSES
from abinitio.data.datasets.splits import DatasetSplits

IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/ (a mirror of yann.lecun.com/exdb/mnist)"
FASHION_URL = "https://github.com/zalandoresearch/fashion-mnist (data/fashion/)"
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array in the IDX-format bytes ``raw``; ``name`` labels error messages.

    Checks the magic number, the type code and that the byte count is exactly what the
    header promises (4 + 4 * ndim + prod(sizes) * itemsize).

    Example:
        >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
        array([7, 8, 9], dtype=uint8)
    """
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_DTYPES:
        codes = " ".join(f"{code:02x}" for code in IDX_DTYPES)
        raise ValueError(
            f"{name}: not an IDX file: its magic number is {raw[:4].hex(' ')}, expected "
            f"00 00 <type: one of {codes}> <ndim>"
        )
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    if ndim > 64:
        raise ValueError(f"{name}: an IDX file of {ndim} dimensions; NumPy holds at most 64")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{name}: truncated IDX file: {len(raw)} bytes, but a {ndim}-dim header needs {header}"
        )
    sizes = struct.unpack(f">{ndim}I", raw[4:header])
    if math.prod(n for n in sizes if n) * dtype.itemsize >= 2**63:  # NumPy refuses even if empty
        raise ValueError(f"{name}: IDX sizes {sizes} are too large for NumPy")
    expected = header + math.prod(sizes) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "too long"
        raise ValueError(
            f"{name}: {problem} IDX file: the header promises sizes {sizes} of {dtype.name}, "
            f"{expected} bytes in all, but the file has {len(raw)} (an incomplete download?)"
        )
    array = np.frombuffer(raw, dtype, offset=header).reshape(sizes)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not (gzip is recognised by its magic bytes 1f 8b).

    A gzipped file is decompressed only as far as its header promises (plus one byte, to
    tell a file that is too long), in 1 MB pieces: a small file whose header claims a
    gigabyte, or that inflates to one (a "zip bomb"), costs no more memory than it holds.
    Every problem with the file's content is a ValueError whose message starts with the
    file's path.

    Example:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "x-idx1-ubyte.gz"
        ...     write_idx(path, np.arange(4, dtype=np.uint8))
        ...     print(read_idx(path))
        [0 1 2 3]
    """
    path = Path(path)
    with open(path, "rb") as file:
        gzipped = file.read(2) == b"\x1f\x8b"
    raw = _gunzip_idx(path) if gzipped else path.read_bytes()
    return parse_idx(raw, str(path))


def _gunzip_idx(path: Path) -> bytes:
    """The decompressed bytes of a gzipped IDX file, up to what its header promises + 1."""
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read(4)
            if len(raw) < 4 or raw[2] not in IDX_DTYPES:
                return raw  # parse_idx says what is wrong
            raw += file.read(4 * raw[3])
            if len(raw) < 4 + 4 * raw[3]:
                return raw
            sizes = struct.unpack(f">{raw[3]}I", raw[4:])
            wanted = len(raw) + math.prod(sizes) * IDX_DTYPES[raw[2]].itemsize + 1
            pieces, total = [raw], len(raw)
            while total < wanted:
                piece = file.read(min(2**20, wanted - total))
                if not piece:
                    break
                pieces.append(piece)
                total += len(piece)
            return b"".join(pieces)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: a corrupt or truncated gzip file ({error})") from None


def write_idx(path: str | os.PathLike, array) -> None:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    if array.dtype not in codes:
        raise TypeError(f"write_idx: IDX cannot hold dtype {array.dtype}, only {list(codes)}")
    code = codes[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + np.ascontiguousarray(array, IDX_DTYPES[code]).tobytes()
    if str(path).endswith(".gz"):
        raw = gzip.compress(raw)
    Path(path).write_bytes(raw)


def mnist(root: str | os.PathLike) -> DatasetSplits:
    """MNIST: 70,000 28x28 handwritten digits (60,000 train, 10,000 test), from IDX files.

    Args:
        root: a directory holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``).

    Returns:
        a :class:`DatasetSplits` with the official split; inputs (N, 1, 28, 28) float32 in
        [0, 1] (pixel / 255), labels int64 0..9.

    Example (with the four files in ``~/data/mnist``)::

        data = mnist("~/data/mnist")
        # DatasetSplits(name='mnist', train=60000, test=10000, input_shape=(1, 28, 28), ...)
    """
    return _load_idx_set(root, "mnist", "MNIST", DIGIT_CLASSES, MNIST_URL)


def fashion_mnist(root: str | os.PathLike) -> DatasetSplits:
    """Fashion-MNIST: 70,000 28x28 greyscale clothes in 10 classes, MNIST's format.

    Args:
        root: a directory holding the four IDX files, named as for :func:`mnist`.

    Returns:
        a :class:`DatasetSplits` with the official 60,000/10,000 split; inputs
        (N, 1, 28, 28) float32 in [0, 1], labels int64 0..9 (``classes`` names them,
        ``"T-shirt/top"`` to ``"Ankle boot"``).

    Example (with the four files in ``~/data/fashion``)::

        fashion_mnist("~/data/fashion").classes[9]  # 'Ankle boot'
    """
    return _load_idx_set(root, "fashion_mnist", "FashionMNIST", FASHION_CLASSES, FASHION_URL)


def _load_idx_set(root, name: str, folder: str, classes, url: str) -> DatasetSplits:
    paths = _locate(Path(root).expanduser(), name, folder, url)
    x_train, y_train = _images_and_labels(paths[0], paths[1], len(classes))
    x_test, y_test = _images_and_labels(paths[2], paths[3], len(classes))
    return DatasetSplits(x_train, y_train, x_test, y_test, name, classes)


def _locate(root: Path, name: str, folder: str, url: str) -> list[Path]:
    """The four files, plain or gzipped, in ``root`` or torchvision's ``root/<folder>/raw``."""
    advice = (
        f"{name}() expects four IDX files in one directory, each plain or gzipped (.gz): "
        f"{', '.join(IDX_FILES)}. Download them by hand from {url} "
        "(abinitio downloads nothing) and pass that directory."
    )
    if not root.is_dir():
        raise FileNotFoundError(f"{name}(): {root} is not a directory. {advice}")
    best = None
    for directory in (root, root / folder / "raw"):
        found = [_find(directory, stem) for stem in IDX_FILES]
        if None not in found:
            return found
        if best is None or sum(p is not None for p in found) > sum(p is not None for p in best):
            best, where = found, directory
    missing = [stem for stem, path in zip(IDX_FILES, best) if path is None]
    raise FileNotFoundError(f"{name}(): {where} lacks {', '.join(missing)}. {advice}")


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / stem, directory / (stem + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _images_and_labels(image_path: Path, label_path: Path, num_classes: int):
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{image_path}: expected uint8 images of shape (N, rows, cols), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{label_path}: expected uint8 labels of shape (N,), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise ValueError(
            f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels"
        )
    if len(labels) and labels.max() >= num_classes:
        raise ValueError(f"{label_path}: labels must be below {num_classes}, found {labels.max()}")
    return images[:, None, :, :].astype(np.float32) / 255, labels.astype(np.int64)
