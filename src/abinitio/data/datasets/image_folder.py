"""``ImageFolder``: a folder of images, one subfolder per class (torchvision's layout and
signature).

::

    root/cat/001.png
    root/cat/kitten.jpg
    root/dog/rex.jpeg

Classes are the subfolder names, sorted; ``class_to_idx`` numbers them 0..K-1, and every
file with an image extension (or accepted by ``is_valid_file``) under a class folder, at
any depth, is one sample. Files are read only when a sample is asked for (``dataset[i]``),
so a folder larger than memory trains batch by batch. Pillow reads PNG, JPEG, BMP, GIF,
TIFF and WebP.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np

from abinitio.data.dataset import Dataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class UnreadableImageError(OSError):
    """An image file that Pillow cannot decode; ``path`` names it.

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, path: str, reason) -> None:
        self.path = path
        super().__init__(f"cannot read the image {path}: {reason}")


def decode_errors() -> tuple:
    """What Pillow raises for a file it cannot decode, its decompression-bomb check
    included (a small file claiming more than ``Image.MAX_IMAGE_PIXELS`` pixels). Use it
    with :func:`no_bombs`."""
    from PIL import Image

    return (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning)  # fmt: skip


@contextlib.contextmanager
def no_bombs():
    """Pillow only warns for an image of 1 to 2 times ``MAX_IMAGE_PIXELS`` (89 million)
    pixels, and decodes it: a 100 KB PNG claiming 10,000 x 10,000 would take 300 MB. Here
    the warning is an error, as Pillow's own check is beyond twice the limit (found by
    scripts/fuzz.py, which also found that the DecompressionBombError escaped)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def pil_loader(path: str, mode: str = "RGB"):
    """Open ``path`` with Pillow, decode it fully and convert it to ``mode`` ("RGB", "L")."""
    from PIL import Image

    try:
        with open_image(path) as image:
            return image.convert(mode)
    except decode_errors() as error:  # Pillow's decode errors
        raise UnreadableImageError(path, error) from None


@contextlib.contextmanager
def open_image(path: str):
    """``Image.open`` on the file's bytes in memory, under :func:`no_bombs`. From a file
    Pillow would read what a PNG chunk's length claims: a 65-byte file claiming a 4 GB
    IDAT chunk made ``file.read(4 GB)`` allocate 4 GB (found by scripts/fuzz.py); from
    bytes in memory it reads what is there."""
    from PIL import Image

    with open(path, "rb") as file:
        data = file.read()
    with no_bombs(), Image.open(io.BytesIO(data)) as image:
        yield image


def default_loader(path: str):
    """torchvision's default: an RGB Pillow image."""
    return pil_loader(path, "RGB")


def grayscale_loader(path: str):
    return pil_loader(path, "L")


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    """The sorted class folders of ``directory`` and their indices.

    Raises FileNotFoundError when ``directory`` does not exist or has no subfolder.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"image folder {directory!r} does not exist")
    classes = sorted(entry.name for entry in os.scandir(directory)
                     if entry.is_dir() and not entry.name.startswith("."))  # fmt: skip
    if not classes:
        raise FileNotFoundError(
            f"Couldn't find any class folder in {directory}: expected one subfolder of "
            "images per class (root/cat/1.png, root/dog/2.png, ...)"
        )
    return classes, {name: k for k, name in enumerate(classes)}


def make_dataset(directory: str, class_to_idx: dict, extensions=IMG_EXTENSIONS,
                 is_valid_file=None, allow_empty: bool = False) -> list:  # fmt: skip
    """Every ``(path, class index)`` under the class folders, in sorted order.

    Raises FileNotFoundError naming the class folders that hold no valid file (unless
    ``allow_empty``).
    """
    def valid(path: str) -> bool:
        if is_valid_file is not None:
            return bool(is_valid_file(path))
        return path.lower().endswith(tuple(extensions))

    samples, empty = [], []
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        found = sorted(os.path.join(base, file)
                       for base, _, files in os.walk(folder, followlinks=True)
                       for file in files)  # fmt: skip
        found = [path for path in found if valid(path)]
        if not found:
            empty.append(name)
        samples += [(path, class_to_idx[name]) for path in found]
    if empty and not allow_empty:
        raise FileNotFoundError(
            f"Found no valid file for the classes {', '.join(empty)} in {directory}. "
            f"Supported extensions are: {', '.join(extensions)}"
        )
    return samples


class ImageFolder(Dataset):
    """Images in class subfolders, read lazily: ``dataset[i]`` is ``(image, class index)``.

    Args:
        root: the folder that holds one subfolder per class.
        transform: applied to the loaded image (e.g. ``Compose([Resize(32), ToTensor()])``).
        target_transform: applied to the class index.
        loader: path -> image; default an RGB Pillow image (:func:`default_loader`).
        is_valid_file: path -> bool, deciding which files are samples (default: by
            extension, :data:`IMG_EXTENSIONS`).
        allow_empty: accept class folders without images.

    Attributes:
        classes: the class names (sorted folder names).
        class_to_idx: name -> index.
        samples: the ``(path, index)`` list; ``imgs`` is the same list.
        targets: the class index of every sample.

    A file that cannot be decoded raises :class:`UnreadableImageError` naming it.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from PIL import Image
        >>> from abinitio.data.transforms import ToTensor
        >>> root = tempfile.mkdtemp()
        >>> for name in ("cat", "dog"):
        ...     os.makedirs(os.path.join(root, name))
        ...     Image.new("RGB", (4, 4)).save(os.path.join(root, name, "a.png"))
        >>> data = ImageFolder(root, transform=ToTensor())
        >>> data.classes, len(data), data[1][0].shape, data[1][1]
        (['cat', 'dog'], 2, (3, 4, 4), 1)

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty: bool = False) -> None:  # fmt: skip
        self.root = os.fspath(root)
        self.transform, self.target_transform, self.loader = transform, target_transform, loader
        self.classes, self.class_to_idx = find_classes(self.root)
        extensions = IMG_EXTENSIONS if is_valid_file is None else ()
        self.samples = make_dataset(self.root, self.class_to_idx, extensions or IMG_EXTENSIONS,
                                    is_valid_file, allow_empty)  # fmt: skip
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def find_bad_files(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of every sample the loader cannot read (decodes every file)."""
        bad = []
        for path, _ in self.samples:
            try:
                self.loader(path)
            except UnreadableImageError as error:
                bad.append((path, str(error)))
        return bad

    def remove(self, paths) -> None:
        """Drop the samples at ``paths`` (e.g. the bad files found)."""
        paths = set(paths)
        self.samples = [s for s in self.samples if s[0] not in paths]
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]

    def __repr__(self) -> str:
        counts = np.bincount(self.targets, minlength=len(self.classes)).tolist()
        return f"ImageFolder(root={self.root!r}, classes={self.classes}, per class={counts})"
