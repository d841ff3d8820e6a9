"""``torchvision.datasets``' basics: MNIST, FashionMNIST and ImageFolder, read locally.

``MNIST(root, train=True, transform=ToTensor())`` reads the IDX files with abinitio's own
parser (:func:`abinitio.data.datasets.read_idx`, which checks every header and size) from
``root/MNIST/raw/`` (torchvision's layout) or from ``root`` itself, plain or gzipped.
abinitio fetches nothing: ``download=True`` is accepted when the files are there already
(so that torchvision programs run unchanged), and otherwise the error says which files to
put where. ``ImageFolder`` is :class:`abinitio.data.datasets.ImageFolder`, which already
has torchvision's signature.
"""

from __future__ import annotations

import os
from pathlib import Path

from abinitio.data.dataset import Dataset
from abinitio.data.datasets.bundled import DIGIT_CLASSES
from abinitio.data.datasets.image_folder import ImageFolder
from abinitio.data.datasets.vision import FASHION_CLASSES, FASHION_URL, MNIST_URL, read_idx
from abinitio.data.datasets.vision import _find as find_idx
from abinitio.tensor import Tensor

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class MNIST(Dataset):
    """MNIST's handwritten digits: ``dataset[i]`` is ``(PIL image of mode "L", int label)``
    before ``transform`` (torchvision's contract).

    Args:
        root: the folder holding ``MNIST/raw/`` (torchvision's layout), or the IDX files
            themselves: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` (train)
            or ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (test), each plain
            or ``.gz``.
        train: the 60,000 training images, else the 10,000 test images.
        transform: applied to the image, e.g. ``Compose([ToTensor(), Normalize(...)])``.
        target_transform: applied to the label.
        download: nothing is ever fetched; True only says "that's fine if the files are
            there", and the error for missing files tells where to put them.

    Attributes:
        data: uint8 Tensor (N, 28, 28); ``targets``: int64 Tensor (N,); ``classes``:
            torchvision's names (``"0 - zero"``, ...); ``class_to_idx``.

    See the article docs/articles/data/vision_datasets.py.
    """

    folder = "MNIST"
    url = MNIST_URL
    classes = [f"{digit} - {word}" for digit, word in zip(DIGIT_CLASSES, _WORDS)]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:  # fmt: skip
        self.root = os.fspath(os.path.expanduser(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        images_path, labels_path = self._files(download)
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{type(self).__name__}: expected uint8 images (N, H, W) and N labels, got "
                f"{images.dtype} {images.shape} in {images_path} and {labels.shape} in "
                f"{labels_path}"
            )
        self.data = Tensor._make(images, False, None)
        self.targets = Tensor._make(labels.astype("int64"), False, None)
        self.class_to_idx = {name: k for k, name in enumerate(self.classes)}

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.folder, "raw")

    def _files(self, download: bool) -> tuple[Path, Path]:
        prefix = "train" if self.train else "t10k"
        stems = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        for directory in (Path(self.raw_folder), Path(self.root)):
            found = [find_idx(directory, stem) for stem in stems]
            if None not in found:
                return found[0], found[1]
        first = ("download=True, but abinitio downloads nothing" if download
                 else "the files are not there")  # fmt: skip
        raise RuntimeError(
            f"{type(self).__name__}(train={self.train}): {first}. Put {stems[0]} and "
            f"{stems[1]} (plain or .gz, from {self.url}) in {self.raw_folder} (torchvision's "
            f"layout) or in {self.root}, then run again."
        )

    def __len__(self) -> int:
        return len(self.targets.array)

    def __getitem__(self, index: int):
        from PIL import Image

        image = Image.fromarray(self.data.array[index])
        target = int(self.targets.array[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")  # fmt: skip


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothes, MNIST's format): as :class:`MNIST`, from
    ``root/FashionMNIST/raw/`` or ``root``; ``classes`` are ``"T-shirt/top"`` ... ``"Ankle
    boot"``.

    See the article docs/articles/data/vision_datasets.py.
    """

    folder = "FashionMNIST"
    url = FASHION_URL
    classes = list(FASHION_CLASSES)


__all__ = ["FashionMNIST", "ImageFolder", "MNIST"]
