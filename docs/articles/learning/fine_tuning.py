r"""
.. _article-fine_tuning:

Fine-tuning and transfer learning
=================================

A network trained on one task has learnt more than that task. Its **early layers**
compute generic features: the first convolutions of an image network respond to edges,
strokes and blobs, patterns that any image is made of; its **late layers** combine them
into the classes it was trained on. **Transfer learning** reuses the early layers for a
new task with few labels: load the trained weights, replace the **head** (the last layer,
sized for the old classes), and train on the new labels.

How much of the old network should move?

* **Frozen backbone**: train only the new head. Few parameters learn from few labels, so
  it over-fits least, and it is cheap; it works when the old features suit the new task.
* **Full fine-tuning**: train everything, usually with a small learning rate, so the
  features adapt without being destroyed by the large early gradients of a random head.
* **Discriminative learning rates** (ULMFiT) give early layers a smaller rate than late
  ones; **gradual unfreezing** trains the head first and unfreezes one layer group per
  stage, from the top down.

**The batch-norm pitfall.** Setting ``requires_grad`` to False freezes a batch norm's
scale and shift, not its statistics: in training mode it still normalises each batch with
that batch's own mean and variance and overwrites its running averages, so a "frozen"
backbone computes different features on every small batch of the new task. Freezing must
also fix the statistics: ``freeze`` swaps such layers for ``FrozenBatchNorm2d``.

The maths
---------

A frozen parameter :math:`\theta_f` receives no update,
:math:`\theta_f^{(t+1)} = \theta_f^{(t)}`; a layer group :math:`g` with its own rate
:math:`\eta_g` steps :math:`\theta_g \leftarrow \theta_g - \eta_g \nabla_{\theta_g}
\mathcal{L}`, with :math:`\eta_{\text{early}} < \eta_{\text{head}}`. A frozen batch norm
is a fixed affine map per channel, in training and evaluation alike:

.. math::

   y = \gamma\, \frac{x - \mu_{\text{run}}}{\sqrt{\sigma^2_{\text{run}} + \epsilon}} + \beta,
   \qquad
   \frac{\partial y}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2_{\text{run}} + \epsilon}},

so gradients still flow through it to any trainable layer below.

Where it lives in abinitio
--------------------------

.. implementation::

On the command line: ``abinitio train --init-from RUN_DIR --freeze features
--lr-backbone 1e-4`` loads every tensor of a finished run whose shape fits (a head for
other classes stays new), freezes the matching parameters, and gives the pretrained part
its own learning rate.
"""

# %%
# Pretrain on the digits 0-4, then learn 5-9 from 10 labels per class
# --------------------------------------------------------------------
# The same small CNN (8 and 16 filters) for every run; each fine-tuning run gets the same
# fresh head and the same 50 labelled images.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import datasets
from abinitio.models import SimpleCNN
from abinitio.nn.finetune import freeze, load_pretrained, param_groups

data = datasets.digits()


def split(x, y, low):
    keep = (y >= low) & (y < low + 5)
    return x[keep], y[keep] - low


def fit(model, x, y, steps, groups):
    optimizer, loss_fn = optim.Adam(groups), nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(steps):
        i = rng.choice(len(x), size=min(32, len(x)), replace=False)
        optimizer.zero_grad()
        loss_fn(model(ab.tensor(x[i])), ab.tensor(y[i])).backward()
        optimizer.step()
    return model.eval()


def accuracy(model, x, y):
    with ab.no_grad():
        return float((model(ab.tensor(x)).numpy().argmax(1) == y).mean())


ab.manual_seed(0)
pretrained = SimpleCNN(num_classes=5, channels=(8, 16), hidden=32)
fit(pretrained, *split(data.x_train, data.y_train, 0), 100, pretrained.parameters())
state = {k: v for k, v in pretrained.state_dict().items() if not k.startswith("classifier.4")}
x_new, y_new = split(data.x_train, data.y_train, 5)
few = np.concatenate([np.flatnonzero(y_new == k)[:10] for k in range(5)])
x_test, y_test = split(data.x_test, data.y_test, 5)

before = pretrained.features[1].running_mean.numpy().copy()
for mode in ("scratch", "frozen", "frozen, batch norm left training", "full, disc. lr"):
    ab.manual_seed(1)
    model = SimpleCNN(num_classes=5, channels=(8, 16), hidden=32)
    if mode != "scratch":
        load_pretrained(model, state)
    if mode.startswith("frozen"):
        freeze(model, "features", train_bn=mode != "frozen")
    groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": 3e-3}]
    if mode.startswith("full"):  # the pretrained layers move ten times slower
        groups = param_groups(model, {"features": 3e-4}, lr=3e-3)
    fit(model, x_new[few], y_new[few], 40, groups)
    drift = np.abs(model.features[1].running_mean.numpy() - before).max()
    print(f"{mode:<33} {accuracy(model, x_test, y_test):.1%} on the test images of 5-9; "
          f"first batch norm's running mean moved by {drift:.3f}")

# %%
# With its statistics frozen the backbone is exactly the pretrained one; left training,
# its batch norm drifted towards the 50 new images (from scratch it is a new layer, so
# its drift means nothing). On these small, clean digits a network trained from scratch
# on 50 labels already does well, and the pretrained features do not beat it. On
# MNIST-1D, whose classes are harder to tell apart, the frozen pretrained backbone adds
# about twenty points (``tests/nn/test_transfer.py``; numbers in the README). What the
# first layer learnt on 0-4, and reuses for 5-9: eight 3x3 stroke detectors.
filters = pretrained.features[0].weight.detach().numpy()[:, 0]
fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for ax, kernel in zip(axes.ravel(), filters):
    ax.imshow(kernel, cmap="RdBu_r")
    ax.axis("off")
fig.suptitle("first-layer filters, pretrained on the digits 0-4")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-convolutional_networks`: the layers whose features transfer
# * :ref:`article-normalisation_and_encoding`: batch norm, and why its statistics matter
# * :ref:`article-learning_rate`: choosing the steps that fine-tuning takes
# * :ref:`article-active_learning`: the other answer to scarce labels
