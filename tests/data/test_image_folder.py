"""ImageFolder (torchvision's layout, signature and errors) and the image transforms with
their seeded generator."""

import os

import numpy as np
import pytest
from PIL import Image

import abinitio as ab
from abinitio.data import DataLoader
from abinitio.data import transforms as T
from abinitio.data.datasets import ImageFolder
from abinitio.data.datasets.image_folder import UnreadableImageError


def write_folder(root, classes=("cat", "dog", "eel"), per_class=3, size=6):
    rng = np.random.default_rng(0)
    for k, name in enumerate(classes):
        os.makedirs(root / name / "sub", exist_ok=True)
        for i in range(per_class):
            where = root / name / ("sub" if i == 0 else "") / f"{i}.png"
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(where)
        (root / name / "notes.txt").write_text("not an image")
    return root


def test_layout_attributes_and_lazy_loading(tmp_path):
    root = write_folder(tmp_path)
    calls = []

    def loader(path):
        calls.append(path)
        return Image.open(path).convert("RGB")

    data = ImageFolder(root, transform=T.ToTensor(), target_transform=lambda t: t * 10,
                       loader=loader)  # fmt: skip
    assert data.classes == ["cat", "dog", "eel"] and data.class_to_idx["eel"] == 2
    assert len(data) == 9 and data.targets == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert data.imgs is data.samples and all(p.endswith(".png") for p, _ in data.samples)
    assert calls == []  # nothing read until asked
    x, y = data[4]
    assert calls == [data.samples[4][0]] and y == 10
    expected = np.asarray(Image.open(data.samples[4][0]), dtype=np.float32) / 255
    np.testing.assert_array_equal(x.numpy(), expected.transpose(2, 0, 1))
    batch_x, batch_y = next(iter(DataLoader(data, batch_size=4)))
    assert batch_x.shape == (4, 3, 6, 6) and batch_y.tolist() == [0, 0, 0, 10]


def test_is_valid_file_decides_the_samples(tmp_path):
    root = write_folder(tmp_path)
    data = ImageFolder(root, is_valid_file=lambda p: p.endswith("0.png"))
    assert [os.path.basename(p) for p, _ in data.samples] == ["0.png"] * 3


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path)
    root = write_folder(tmp_path / "data")
    os.makedirs(root / "fox")
    (root / "fox" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes fox"):
        ImageFolder(root)
    assert len(ImageFolder(root, allow_empty=True).classes) == 4
    bad = root / "cat" / "broken.png"
    bad.write_bytes(b"\x89PNG broken")
    data = ImageFolder(root, allow_empty=True)
    index = [p for p, _ in data.samples].index(str(bad))
    with pytest.raises(UnreadableImageError, match="cannot read the image .*broken.png"):
        data[index]
    assert [p for p, _ in data.find_bad_files()] == [str(bad)]


def image(size=8):
    return Image.fromarray(np.arange(size * size, dtype=np.uint8).reshape(size, size) * 3)


def test_random_transforms_repeat_with_the_seed_and_vary_without():
    pipeline = lambda seed: T.Compose([  # noqa: E731
        T.RandomCrop(8, padding=2, generator=ab.Generator(seed)),
        T.RandomHorizontalFlip(generator=ab.Generator(seed)),
        T.RandomRotation(15, generator=ab.Generator(seed)), T.ToTensor()])  # fmt: skip
    first, again, other = pipeline(0), pipeline(0), pipeline(1)
    a = [first(image()).numpy() for _ in range(5)]
    b = [again(image()).numpy() for _ in range(5)]
    c = [other(image()).numpy() for _ in range(5)]
    assert all((u == v).all() for u, v in zip(a, b))
    assert any((u != v).any() for u, v in zip(a, c))
    ab.manual_seed(3)  # the default is abinitio's global generator
    d = T.RandomCrop(8, padding=2)(image())
    ab.manual_seed(3)
    assert np.array_equal(np.asarray(d), np.asarray(T.RandomCrop(8, padding=2)(image())))


def test_each_transform_by_hand():
    pixels = np.asarray(image())
    flipped = T.RandomHorizontalFlip(p=1.0)(image())
    assert np.array_equal(np.asarray(flipped), pixels[:, ::-1])
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=0.0)(image())), pixels)
    assert np.array_equal(np.asarray(T.RandomRotation(0)(image())), pixels)
    padded = np.pad(pixels + 1, 1)  # +1: no pixel of the image is 0 like the padding
    windows = {padded[i : i + 8, j : j + 8].tobytes(): (i, j) for i in range(3) for j in range(3)}
    crop = T.RandomCrop(8, padding=1, generator=ab.Generator(0))
    seen = {windows[(np.asarray(crop(Image.fromarray(pixels + 1))).tobytes())]
            for _ in range(100)}  # fmt: skip
    assert len(seen) == 9  # every one of the 3 x 3 offsets of the padded 10 x 10, no other
    assert T.Resize((4, 6))(image()).size == (6, 4)
    x = T.ToTensor()(Image.new("RGB", (3, 2), (255, 0, 51)))
    assert x.shape == (3, 2, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[:, 0, 0], [1.0, 0.0, 0.2])
    z = T.Normalize([0.5, 0.5, 0.5], [0.5, 0.25, 1.0])(x)
    np.testing.assert_allclose(z.numpy()[:, 0, 0], [1.0, -2.0, -0.3], rtol=1e-6)


def test_transform_arguments_are_checked():
    with pytest.raises(ValueError, match="p must be in \\[0, 1\\], got 2"):
        T.RandomHorizontalFlip(p=2)
    with pytest.raises(ValueError, match="smaller than the crop 12x12"):
        T.RandomCrop(12)(image())
    with pytest.raises(ValueError, match="positive stds"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(ValueError, match="3 channel statistics for an image with 1 channels"):
        T.Normalize([0, 0, 0], [1, 1, 1])(T.ToTensor()(image()))
