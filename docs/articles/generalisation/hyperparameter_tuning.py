r"""
.. _article-hyperparameter_tuning:

Hyperparameter tuning
=====================

Weights are learned; **hyperparameters** are chosen before learning starts: the learning
rate, the batch size, the number and width of the layers, dropout, weight decay, the
optimiser. No gradient tells us how to change them, so we search: train with one
setting, score it on validation data, try another.

* **Grid search** tries every combination of a few values per hyperparameter. The cost
  multiplies with each hyperparameter, and when only one of them matters most of the
  grid repeats the same few values of it.
* **Random search** draws each trial's values independently (Bergstra and Bengio, 2012):
  with the same budget it tries as many distinct values of every hyperparameter as it
  has trials, so it usually finds a good value of the one that matters sooner.
* **TPE** (the tree-structured Parzen estimator, Optuna's default) learns from the
  trials so far: it models where the good trials were and draws the next one there.
* **Pruning** stops a trial early when its validation loss after epoch :math:`s` is worse
  than the median of earlier trials at epoch :math:`s`: most bad settings are obvious
  after a few epochs, so the budget goes to the promising ones.

**Why tuning on the test set is cheating.** The best of many trials is partly the luckiest:
its score is biased upwards by the selection itself. If that selection used the test
set, the test score is no longer an estimate of performance on new data. So trials are
scored on a validation split of the training data, and the test set is used once, for
the configuration finally chosen (or use nested cross-validation, see
:ref:`article-cross_validation`).

**Score what you will keep.** The chosen configuration is retrained for a fixed number of
epochs and its final weights kept, so a trial should be scored by the loss training ends
with. One epoch's validation loss is a noisy sample of that: a learning rate at the edge
of stability makes the loss spike now and then and recover, and out of thirty trials the
one whose last epoch fell between spikes looks best. Measured on digits, an RMSprop
setting (lr 0.015) won a study that scored trials by their last epoch, and then ended
training on a spike in 3 of 40 cross-validation folds (67-85% accuracy, against 97-99% on
the others). abinitio's objective averages the last five epochs' validation losses, so a
spike near the end counts against a trial, and gives each cross-validation fold its own
seed, so a setting that trains well from some initialisations only is seen more than
once; with both, the study beat the hand-tuned recipe on every seed measured (README).

The maths
---------

Log-uniform sampling draws the learning rate as :math:`\log \eta \sim U(\log a, \log b)`,
so each factor of ten gets the same share of trials. TPE splits the finished trials at a
quantile :math:`y^*` of their values into good and bad, fits densities to both, and
proposes the :math:`x` that maximises their ratio (which maximises expected
improvement):

.. math::

   \ell(x) = p(x \mid y < y^*), \qquad g(x) = p(x \mid y \ge y^*), \qquad
   x_{\text{next}} = \arg\max_x \frac{\ell(x)}{g(x)}.

The median rule prunes trial :math:`t` at epoch :math:`s` when
:math:`v_t(s) > \operatorname{median}_{t' < t}\, v_{t'}(s)`, with :math:`v` the validation
loss the Trainer reports after every epoch.

Where it lives in abinitio
--------------------------

.. implementation::

``abinitio tune --dataset digits --model mlp --trials 30`` runs this search (TPE, median
pruning) over learning rate, batch size, depth, width, dropout, weight decay and
optimiser, retrains the best configuration into a normal run directory and writes
Optuna's plots.
"""

# %%
# One objective, three searches
# -----------------------------
# A one-hidden-layer MLP on digits; two hyperparameters, the learning rate and the width;
# 800 images to train on, 400 to validate on. The test images are not touched.
import matplotlib.pyplot as plt
import numpy as np
import optuna
from sklearn.datasets import load_digits

import abinitio as ab
from abinitio.data import DataLoader, TensorDataset
from abinitio.models import MLP
from abinitio.training import Trainer
from abinitio.tune import Objective, SearchSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)
x, y = load_digits(return_X_y=True)
x = (x / 16).astype(np.float32)
train, val = TensorDataset(x[:800], y[:800]), TensorDataset(x[800:1200], y[800:1200])
x_test, y_test = x[1200:], y[1200:]

space = SearchSpace(
    {
        "lr": {"low": 1e-4, "high": 1e-1, "log": True},
        "width": {"low": 4, "high": 128, "log": True},
    }
)


def build(params):
    model = MLP(64, (params["width"],), 10)
    return model, ab.optim.Adam(model.parameters(), lr=params["lr"])


objective = Objective(space, build, train, val, epochs=8, seed=0)
grid = {"lr": [1e-4, 1e-3, 1e-2], "width": [4, 16, 64]}
searches = {
    "grid": (optuna.samplers.GridSampler(grid, seed=0), optuna.pruners.NopPruner()),
    "random": (optuna.samplers.RandomSampler(seed=0), optuna.pruners.NopPruner()),
    "TPE + median pruning": (
        optuna.samplers.TPESampler(n_startup_trials=4, seed=0),
        optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    ),
}
studies = {}
for name, (sampler, pruner) in searches.items():
    study = optuna.create_study(sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=9)
    epochs = sum(len(t.intermediate_values) for t in study.trials)
    print(f"{name:21s} best val loss {study.best_value:.3f}  ({epochs} epochs trained)")
    studies[name] = study

# %%
# Best so far, trial by trial
# ---------------------------
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, study in studies.items():
    values = [t.value if t.value is not None else np.inf for t in study.trials]
    ax.plot(np.minimum.accumulate(values), marker="o", label=name)
ax.set(xlabel="trial", ylabel="best validation loss so far", yscale="log")
ax.legend()
plt.show()

# %%
# The chosen configuration, scored once on the test set
# -----------------------------------------------------
best = studies["TPE + median pruning"].best_trial
ab.manual_seed(0)
model, optimizer = build(best.params)
trainer = Trainer(model, optimizer, ab.nn.CrossEntropyLoss(), progress=False, log=None)
trainer.fit(DataLoader(train, batch_size=64, shuffle=True), epochs=8)
model.eval()
with ab.no_grad():
    test_accuracy = (model(ab.tensor(x_test)).numpy().argmax(1) == y_test).mean()
print(f"chosen: {best.params}")
print(
    f"validation accuracy {best.user_attrs['val_accuracy']:.3f} (selected: optimistic)"
)
print(f"test accuracy       {test_accuracy:.3f} (used once: honest)")

# %%
# The grid spends a third of its trials on each of its three learning rates; random and
# TPE try nine different ones. Pruned trials stop after a few epochs instead of eight, so
# the pruned search trains fewer epochs in all. The validation accuracy of the winner is
# the maximum over trials, so it is biased upwards; the test score (here also on other
# writers' digits) is the number to report.
#
# Related topics
# --------------
# * :ref:`article-cross_validation`: scoring a recipe on more than one split
# * :ref:`article-learning_rate`: the hyperparameter that matters most
# * :ref:`article-regularisation`: dropout and weight decay, the other knobs searched
