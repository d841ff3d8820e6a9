r"""
.. _article-vision_datasets:

Image data the torchvision way
==============================

Most PyTorch programs that touch images start the same way: a data set object that
reads files from disk, and a chain of small **transforms** that turn each image into the
tensor a network wants. ``abinitio.vision`` has torchvision's names for that part, so a
line such as

.. code-block:: python

   datasets.MNIST("data", train=True, download=True,
                  transform=transforms.Compose([transforms.ToTensor(),
                                                transforms.Normalize((0.1307,), (0.3081,))]))

runs unchanged (through ``python -m abinitio.torch`` it is the same line with
``torchvision`` in the import). One difference is deliberate: abinitio downloads nothing.
The files come from you; ``download=True`` is accepted when they are already in
``data/MNIST/raw/``, and otherwise the error names the files and the folder to put them
in.

A data set answers two questions, ``len(dataset)`` and ``dataset[i]``; for MNIST
``dataset[i]`` is a Pillow image and its label, and the ``transform`` runs on the image
each time it is read. Random transforms (a random crop, a random mirror image) therefore
show the network a slightly different picture of each sample in every epoch:
*augmentation*.

The maths
---------

``ToTensor`` moves the channels first and scales 8-bit values, ``Normalize``
standardises each channel with statistics computed once on the training set (for MNIST
:math:`\mu = 0.1307`, :math:`\sigma = 0.3081`):

.. math::

   x_{c,i,j} = \frac{p_{i,j,c}}{255}, \qquad
   z_{c,i,j} = \frac{x_{c,i,j} - \mu_c}{\sigma_c}.

``Resize(s)`` with one number keeps the aspect ratio: the shorter side becomes :math:`s`
and the longer :math:`\lfloor s \cdot \text{long} / \text{short} \rfloor`. The new pixels
are *bilinear* blends of the four nearest old ones: with :math:`(u, v)` the position in
old pixel units and :math:`a = u - \lfloor u \rfloor`, :math:`b = v - \lfloor v \rfloor`,

.. math::

   y(u, v) = (1-a)(1-b)\,x_{00} + a(1-b)\,x_{10} + (1-a)\,b\,x_{01} + a\,b\,x_{11},

averaged over the old pixels a new one covers when the image shrinks (antialiasing).
``RandomCrop(s, padding=p)`` pads by :math:`p` and cuts an :math:`s \times s` window at
offsets drawn uniformly from :math:`\{0, \dots, H + 2p - s\}`.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# MNIST's format, from files on disk
# -----------------------------------
# The real MNIST files are not bundled, so we write scikit-learn's 8x8 digits in MNIST's
# IDX format, in torchvision's folder layout, and read them back as MNIST.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio.data import DataLoader, datasets as own_datasets
from abinitio.vision import datasets, transforms, utils

ab.manual_seed(0)
digits = own_datasets.digits()
pixels = (digits.x_train[:, 0] * 255).round().astype(np.uint8)  # (N, 8, 8), 0..255
root = Path(tempfile.mkdtemp())
raw = root / "MNIST" / "raw"
raw.mkdir(parents=True)
own_datasets.write_idx(raw / "train-images-idx3-ubyte.gz", pixels)
own_datasets.write_idx(raw / "train-labels-idx1-ubyte.gz", digits.y_train.astype(np.uint8))

augment = transforms.Compose([
    transforms.RandomCrop(8, padding=1),
    transforms.ToTensor(),
    transforms.Normalize((0.3,), (0.35,)),
])  # fmt: skip
train = datasets.MNIST(root, train=True, download=True, transform=augment)
image, label = datasets.MNIST(root)[0]
print(train, f"\nfirst sample: {image.mode} image {image.size}, label {label}")

# %%
# One batch through the DataLoader, and the same image read four times: each read is a
# new random crop of the padded image.
x, y = next(iter(DataLoader(train, batch_size=16, shuffle=True)))
print("batch", x.shape, x.dtype, "labels", y.tolist())
print(f"mean {x.numpy().mean():+.3f}, std {x.numpy().std():.3f} after Normalize")
views = ab.stack([train[0][0] for _ in range(4)])
grid = utils.make_grid(views, nrow=4, padding=1, normalize=True)
print("grid of 4 crops:", grid.shape)

# %%
# ``save_image`` writes such a grid as a PNG file (values clipped to [0, 1], times 255).
utils.save_image(x, root / "batch.png", nrow=8, normalize=True)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
left.imshow(plt.imread(root / "batch.png"))
left.set_title("save_image: a batch of 16")
right.imshow(grid.numpy().transpose(1, 2, 0))
right.set_title(f"four random crops of one {label}")
for ax in (left, right):
    ax.axis("off")
plt.show()

# %%
# Resizing keeps the aspect ratio, and a missing file is a clear error
# --------------------------------------------------------------------
from PIL import Image  # noqa: E402

wide = Image.fromarray(np.zeros((30, 80), np.uint8))
print("Resize(15) of 80x30:", transforms.Resize(15)(wide).size, "(width, height)")
try:
    datasets.FashionMNIST(root, train=False, download=True)
except RuntimeError as error:
    print(error)

# %%
# Related topics
# --------------
# * :ref:`article-normalisation_and_encoding`: why standardised inputs train faster
# * :ref:`article-feature_engineering`: augmentation and image folders of your own
# * :ref:`article-convolutional_networks`: the networks these images feed
# * :ref:`article-onnx_export`: taking the trained network elsewhere
