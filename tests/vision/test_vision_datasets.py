"""abinitio.vision.datasets and utils: MNIST/FashionMNIST from IDX files in torchvision's
layout or flat, nothing downloaded; ImageFolder shared with abinitio.data; save_image."""

import io

import numpy as np
import pytest
from helpers import require

import abinitio as ab
from abinitio.data import DataLoader
from abinitio.data.datasets import ImageFolder as DataImageFolder
from abinitio.data.datasets import write_idx
from abinitio.vision import datasets, transforms, utils

Image = require("PIL.Image")


def write_split(folder, prefix, images, labels, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_split(tmp_path / "MNIST" / "raw", "train", images, labels)
    write_split(tmp_path / "MNIST" / "raw", "t10k", images[:2], labels[:2], gz=False)
    return tmp_path, images, labels


def test_mnist_reads_torchvision_layout_and_gives_pil_images(mnist_root):
    root, images, labels = mnist_root
    train = datasets.MNIST(root, train=True)
    assert len(train) == 5 and len(datasets.MNIST(root, train=False)) == 2
    image, target = train[2]
    assert image.mode == "L" and image.size == (28, 28) and target == 4
    np.testing.assert_array_equal(np.asarray(image), images[2])
    assert train.data.dtype == np.uint8 and train.data.shape == (5, 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.tolist() == labels.tolist()
    assert train.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9


def test_mnist_transform_pipeline_batches_through_the_dataloader(mnist_root):
    root, images, _ = mnist_root
    pipeline = transforms.Compose([transforms.ToTensor(),
                                   transforms.Normalize((0.1307,), (0.3081,))])  # fmt: skip
    data = datasets.MNIST(root, train=True, download=True, transform=pipeline,
                          target_transform=lambda y: y * 10)  # fmt: skip
    x, y = next(iter(DataLoader(data, batch_size=4)))
    assert x.shape == (4, 1, 28, 28) and y.tolist() == [30, 10, 40, 10]
    expected = (images[0] / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(x.numpy()[0, 0], expected, rtol=1e-5, atol=1e-6)


def test_fashion_mnist_reads_files_straight_in_root(tmp_path):
    images = np.zeros((3, 4, 4), dtype=np.uint8)
    write_split(tmp_path, "t10k", images, np.array([0, 9, 2], dtype=np.uint8))
    data = datasets.FashionMNIST(str(tmp_path), train=False)
    assert len(data) == 3 and data.classes[data[1][1]] == "Ankle boot"


def test_missing_files_say_where_to_put_them_and_that_nothing_is_fetched(tmp_path):
    with pytest.raises(RuntimeError, match="download=True, but abinitio downloads nothing") as info:
        datasets.MNIST(tmp_path, train=True, download=True)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and str(tmp_path / "MNIST" / "raw") in message
    with pytest.raises(RuntimeError, match="FashionMNIST.*the files are not there.*zalando"):
        datasets.FashionMNIST(tmp_path, train=False)


def test_image_folder_is_the_data_loader_of_abinitio(tmp_path):
    assert datasets.ImageFolder is DataImageFolder
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (5, 3), (255, 0, 0)).save(tmp_path / name / "a.png")
    data = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    x, y = data[1]
    assert data.classes == ["cat", "dog"] and y == 1 and x.shape == (3, 3, 5)


def test_make_grid_places_images_with_padding():
    batch = ab.tensor(np.arange(1, 6, dtype=np.float32).reshape(5, 1, 1, 1) * np.ones((1, 1, 2, 3),
                                                                                       np.float32))
    grid = utils.make_grid(batch, nrow=3, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 1 + 2 * 3, 1 + 3 * 4)  # rows of (2 + 1), columns of (3 + 1)
    assert grid[0, 1, 1] == 1 and grid[0, 1, 5] == 2 and grid[0, 4, 1] == 4 and grid[2, 4, 5] == 5
    assert grid[0, 0, 0] == -1 and grid[0, 4, 9] == -1, "padding and the empty sixth cell"
    single = utils.make_grid(ab.zeros(1, 3, 2, 2))
    assert single.shape == (3, 2, 2), "a batch of one is returned without padding"


def test_save_image_writes_255x_rounded_and_normalizes(tmp_path):
    x = ab.tensor([[[0.0, 0.5], [1.0, 2.0]]])  # (1, 2, 2): one grey image
    path = tmp_path / "x.png"
    utils.save_image(x, path)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"], "written atomically"
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (2, 2, 3)
    np.testing.assert_array_equal(pixels[..., 0], [[0, 128], [255, 255]])
    buffer = io.BytesIO()
    utils.save_image(x, buffer, format="PNG", normalize=True)
    buffer.seek(0)
    np.testing.assert_array_equal(np.asarray(Image.open(buffer))[..., 1], [[0, 64], [128, 255]])
