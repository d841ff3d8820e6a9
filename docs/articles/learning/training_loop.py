r"""
.. _article-training_loop:

The training loop: validation, metrics and checkpoints
======================================================

Every network in this site learns by the same four lines, repeated for each mini-batch:
forget the old gradients, compute the loss (forward), compute its gradients (backward),
step the weights. One pass over the training data is an **epoch**. Around those lines a
real run needs a little more, and the :class:`~abinitio.training.Trainer` writes it once:

* **A validation set.** The training loss says how well the network fits the data it is
  fitted to; it cannot say when it starts to memorise. A slice of the training data is
  held back, never trained on, and scored after every epoch. The **test set** is touched
  once, at the very end: choosing anything (epochs, learning rate, model) by its score
  would make that score optimistic.
* **Metrics** a person can read: accuracy, and per class the **confusion matrix**,
  **precision**, **recall** and **F1**, which show *which* classes are confused.
* **Callbacks**, small objects called at fixed moments: **early stopping** ends the run
  when the validation loss has not improved for ``patience`` epochs and puts back the best
  weights; a **learning-rate scheduler** steps every epoch; a **progress bar** shows the
  live loss.
* **Checkpoints.** After every epoch everything needed to continue, the weights, the
  optimiser's moments, the callbacks' state, the history and the random generators'
  state, is written to disk atomically (to a temporary file, then renamed), so a run that
  is killed loses at most one epoch, and ``fit(..., resume=True)`` continues it to
  *exactly* the numbers an uninterrupted run would have produced.

The maths
---------

An epoch's reported loss is the mean over its :math:`B` mini-batches,
:math:`\bar{\mathcal{L}} = \frac{1}{B}\sum_{b=1}^{B} \mathcal{L}_b`. For class :math:`k`,
with :math:`C_{ij}` the number of samples of true class :math:`i` predicted as :math:`j`,

.. math::

   \text{precision}_k = \frac{C_{kk}}{\sum_i C_{ik}}, \qquad
   \text{recall}_k = \frac{C_{kk}}{\sum_j C_{kj}}, \qquad
   F_{1,k} = \frac{2\,\text{precision}_k\,\text{recall}_k}
                  {\text{precision}_k + \text{recall}_k}, \qquad
   \text{accuracy} = \frac{\sum_k C_{kk}}{\sum_{i,j} C_{ij}}.

Early stopping with patience :math:`p` stops after epoch :math:`e` when the best
validation loss so far, at epoch :math:`e^* = \arg\min_{t \le e} \mathcal{L}^\text{val}_t`,
is :math:`p` epochs old: :math:`e - e^* \ge p`; the weights of epoch :math:`e^*` are
kept. A resumed run is bit-identical because each epoch is a deterministic function of
(weights, optimiser state, generator state), all three of which the checkpoint holds.

Where it lives in abinitio
--------------------------

.. implementation::

The loop itself is ``Trainer._train_epoch``, about twenty lines; the command
``abinitio train`` is this Trainer with a report and a run directory around it.
"""

# %%
# Train with validation and early stopping
# ----------------------------------------
# An MLP on scikit-learn's 8x8 digits. A fifth of the training images become the
# validation set; early stopping watches the validation loss.
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import DataLoader, datasets, random_split
from abinitio.models import MLP
from abinitio.training import EarlyStopping, Trainer, classification_report

ab.manual_seed(0)
data = datasets.digits()
train_set, val_set = random_split(data.train, [0.8, 0.2])
val_loader = DataLoader(val_set, batch_size=256)


def make_trainer(checkpoint_dir=None, patience=3):
    ab.manual_seed(1)  # the same initial weights and batch order every time
    model = MLP(64, (128,), 10, dropout=0.2)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    stopper = EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
    return Trainer(
        model,
        optimizer,
        nn.CrossEntropyLoss(),
        callbacks=[stopper],
        checkpoint_dir=checkpoint_dir,
        progress=False,
        log=None,
    )


trainer = make_trainer()
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
history = trainer.fit(train_loader, val_loader, epochs=60)
best = history.best("val_loss")
print(
    f"stopped after epoch {len(history)}; best epoch {best['epoch']}, "
    f"val_loss {best['val_loss']:.3f}, val_accuracy {best['val_accuracy']:.1%}"
)

# %%
# The training loss keeps falling (note the log scale); the validation loss levels off:
# from there on the network improves only on the images it trains on. Early stopping
# waited three epochs for a better validation loss, then put back the weights of the
# epoch marked by the dashed line.
curves = history.history
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
for split in ("train", "val"):
    left.plot(curves["epoch"], curves[f"{split}_loss"], marker="o", ms=3, label=split)
    right.plot(
        curves["epoch"], curves[f"{split}_accuracy"], marker="o", ms=3, label=split
    )
for ax, name in ((left, "loss"), (right, "accuracy")):
    ax.axvline(best["epoch"], color="gray", linestyle="--")
    ax.set(xlabel="epoch", ylabel=name)
    ax.legend()
left.set_yscale("log")
plt.show()

# %%
# The test set, once
# ------------------
# Precision, recall and F1 per digit come from the confusion matrix.
outputs, targets = trainer.predict(DataLoader(data.test, batch_size=256))
report = classification_report(targets, outputs.argmax(1), num_classes=10)
print(f"test accuracy {report['accuracy']:.1%}, macro F1 {report['macro_f1']:.3f}")
print("recall per digit:", np.round(report["recall"], 2))
fig, ax = plt.subplots(figsize=(4, 4))
ax.imshow(report["confusion_matrix"], cmap="Blues")
ax.set(
    xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10)
)
plt.show()

# %%
# A killed run resumes bit for bit
# --------------------------------
# Train 6 epochs in one go; then train 3, throw the Trainer away (as if the process had
# been killed), build a fresh one and resume from its checkpoint to epoch 6.
with tempfile.TemporaryDirectory() as one_go, tempfile.TemporaryDirectory() as killed:
    whole = make_trainer(one_go, patience=100)
    whole.fit(DataLoader(train_set, batch_size=64, shuffle=True), val_loader, epochs=6)
    make_trainer(killed, patience=100).fit(
        DataLoader(train_set, batch_size=64, shuffle=True), val_loader, epochs=3
    )
    resumed = make_trainer(killed, patience=100)
    resumed.fit(
        DataLoader(train_set, batch_size=64, shuffle=True),
        val_loader,
        epochs=6,
        resume=True,
    )
identical = all(
    np.array_equal(a.detach().numpy(), b.detach().numpy())
    for a, b in zip(whole.model.parameters(), resumed.model.parameters())
)
print("resumed weights identical to the uninterrupted run:", identical)

# %%
# Related topics
# --------------
# * :ref:`article-gradient_descent`: the optimiser step inside the loop
# * :ref:`article-learning_rate`: schedules, stepped by a callback
# * :ref:`article-regularisation`: early stopping is regularisation too
# * :ref:`article-feedforward_networks`: the same loop written out by hand
# * :ref:`article-reinforcement_learning`: a loop with no data set, only an environment
