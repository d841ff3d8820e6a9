"""torchvision's basics under torchvision's names: ``transforms``, ``datasets``, ``utils``.

``python -m abinitio.torch`` maps ``import torchvision`` here, so the data part of a
torchvision program (``datasets.MNIST(root, train=True, transform=Compose([ToTensor(),
Normalize((0.1307,), (0.3081,))]))``, ``utils.save_image``) runs on abinitio unchanged, on
files you have locally: nothing is ever downloaded. Pillow is imported only when an image
is read, resized or written (``pip install abinitio[vision]``).

See the article docs/articles/data/vision_datasets.py.
"""

from abinitio.vision import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
