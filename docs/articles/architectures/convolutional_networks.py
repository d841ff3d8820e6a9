r"""
.. _article-convolutional_networks:

Convolutional neural networks
=============================

A fully connected layer gives every output its own weight for every input pixel. For
images that is wasteful and blind to what images are like: nearby pixels belong together,
and an edge means the same thing wherever it appears. A **convolutional layer** builds
both facts in. It holds a few small **filters** (say 3x3 pixels), slides each one over the
image, and at every position takes the dot product of the filter with the pixels under it.
The result is a **feature map**: a new image that is bright where the filter's pattern
occurs. The same few weights are reused at every position (*weight sharing*), and each
output sees only a small neighbourhood (*local connectivity*), so a layer needs far fewer
weights than a fully connected one and detects a pattern wherever it is.

A **pooling layer** then summarises each small window of a feature map, by its maximum
(*max pooling*) or its mean. It has no weights; it shrinks the maps (a 2x2 window with
stride 2 halves each side), so the next convolution's filters see a larger part of the
image, and it makes the network less sensitive to small shifts. A typical **CNN** stacks
convolution, ReLU and pooling a few times, then flattens the maps and ends with a small
fully connected classifier. The first layers learn edges and blobs; later ones combine
them into strokes and shapes.

The maths
---------

For an input :math:`x` with :math:`C` channels, a layer with filters
:math:`W \in \mathbb{R}^{O \times C \times k \times k}` and biases :math:`b` computes,
at every output position :math:`(i, j)` (stride 1, no padding),

.. math::

   y_{o,i,j} = b_o + \sum_{c=1}^{C} \sum_{u=0}^{k-1} \sum_{v=0}^{k-1}
      W_{o,c,u,v}\; x_{c,\,i+u,\,j+v}.

(Mathematicians would call this a cross-correlation: the filter is not flipped.) Every
output depends on :math:`W` through the same formula, so the weight gradient sums over
all positions, and every input pixel collects the gradient of every window it is in:

.. math::

   \frac{\partial\mathcal{L}}{\partial W_{o,c,u,v}}
     = \sum_{i,j} g_{o,i,j}\; x_{c,\,i+u,\,j+v}, \qquad
   \frac{\partial\mathcal{L}}{\partial x_{c,p,q}}
     = \sum_{o,u,v} g_{o,\,p-u,\,q-v}\; W_{o,c,u,v},

with :math:`g = \partial\mathcal{L}/\partial y`. **im2col** turns this into linear algebra:
copy every :math:`C \times k \times k` window into one column of a matrix :math:`X`;
then the whole layer is one matrix product :math:`Y = W_\text{flat} X` with
:math:`W_\text{flat}` of shape :math:`O \times Ck^2`, and its backward pass is two more,
:math:`\partial\mathcal{L}/\partial W_\text{flat} = G X^\top` and
:math:`\partial\mathcal{L}/\partial X = W_\text{flat}^\top G`, the latter added back onto
the pixels each column was copied from (**col2im**). Max pooling,
:math:`y_{i,j} = \max_{(p,q) \in \text{window}(i,j)} x_{p,q}`, passes each window's
gradient to the pixel that held the maximum and nothing to the others:

.. math::

   \frac{\partial\mathcal{L}}{\partial x_{p,q}} = \sum_{(i,j)\,:\;(p,q) = \arg\max
   \text{window}(i,j)} g_{i,j}.

Where it lives in abinitio
--------------------------

.. implementation::

``abinitio.ops.conv`` also keeps ``_reference_conv2d``, the same sum written with slices
and small matrix products: read it first, then the im2col version the layers use.
"""

# %%
# A convolution is a sliding dot product
# --------------------------------------
# One 5x5 image, two 3x3 filters. The layer's output equals a loop over the 3x3 windows,
# and equals one matrix product of the flattened filters with the im2col columns.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import DataLoader, datasets
from abinitio.models import SimpleCNN
from abinitio.ops.im2col import im2col

ab.manual_seed(0)
image = ab.arange(25.0).reshape(1, 1, 5, 5)  # (N, C, H, W)
conv = nn.Conv2d(1, 2, kernel_size=3)
w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
x = image.numpy()[0]
by_hand = np.zeros((2, 3, 3))
for o in range(2):  # each filter ...
    for i in range(3):  # ... at each window position
        for j in range(3):
            by_hand[o, i, j] = (w[o] * x[:, i : i + 3, j : j + 3]).sum() + b[o]
with ab.no_grad():
    by_layer = conv(image).numpy()[0]
columns = im2col(x[..., None], (3, 3), (1, 1), (1, 1), (3, 3), groups=1)[0]  # (9, 9)
by_gemm = (w.reshape(2, 9) @ columns + b[:, None]).reshape(2, 3, 3)
print("im2col columns (one window per column):\n", columns.astype(int))
print("largest difference, layer vs loop:", np.abs(by_layer - by_hand).max())
print("largest difference, layer vs GEMM:", np.abs(by_layer - by_gemm).max())

# %%
# Max pooling's gradient goes to the arg-max
# ------------------------------------------
# Each 2x2 window passes its gradient (here 1) to the position of its maximum only.
x = ab.tensor([[[[1.0, 5, 2, 0], [3, 2, 9, 4], [0, 8, 1, 1], [7, 6, 2, 3]]]])
x.requires_grad_()
pooled = nn.MaxPool2d(2)(x)
pooled.sum().backward()
print("input:\n", x[0, 0].detach().numpy())
print("max-pooled:\n", pooled[0, 0].detach().numpy())
print("gradient reaching the input:\n", x.grad[0, 0].numpy())

# %%
# A small CNN on handwritten digits
# ---------------------------------
# ``SimpleCNN``: two blocks of 3x3 convolution, batch norm, ReLU and 2x2 max pooling,
# then a small classifier, trained for a few epochs on scikit-learn's 8x8 digits.
data = datasets.digits()
model = SimpleCNN(input_size=8, channels=(8, 16), hidden=64)
optimizer = optim.Adam(model.parameters(), lr=0.01)
print(model)
for _ in range(4):
    model.train()
    for inputs, targets in DataLoader(data.train, batch_size=64, shuffle=True):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
model.eval()
with ab.no_grad():
    predicted = model(ab.tensor(data.x_test)).argmax(1).numpy()
    maps = model.features[:3](ab.tensor(data.x_test[:1]))[0].numpy()  # conv, BN, ReLU
print(f"test accuracy after 4 epochs: {(predicted == data.y_test).mean():.1%}")

# %%
# What the first layer learned
# ----------------------------
# Top: the eight learned 3x3 filters (blue negative, red positive). Bottom: the feature
# map each one produces (after batch norm and ReLU) for the test digit on the left.
filters = model.features[0].weight.detach().numpy()[:, 0]
fig, axes = plt.subplots(2, 9, figsize=(10, 2.6))
axes[1, 0].imshow(data.x_test[0, 0], cmap="gray_r")
axes[1, 0].set_title(f"digit {data.y_test[0]}", fontsize=9)
for k in range(8):
    limit = np.abs(filters[k]).max()
    axes[0, k + 1].imshow(filters[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0, k + 1].set_title(f"filter {k}", fontsize=9)
    axes[1, k + 1].imshow(maps[k], cmap="viridis")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[:].set_visible(False)
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-layers`: the fully connected layer that a convolution replaces
# * :ref:`article-residual_networks`: very deep CNNs, made trainable by skip connections
# * :ref:`article-representation_learning`: what the stacked feature maps learn
# * :ref:`article-training_loop`: the loop above, with validation and checkpoints
