r"""
.. _article-cross_validation:

Cross-validation and the generalisation gap
===========================================

What matters about a trained network is its error on data it has never seen. We estimate
it by holding data out: train on one part, score on the other. But **one split can
mislead**. With a few hundred held-out samples the score depends on which samples
happened to land there: an unlucky split makes a good recipe look bad, a lucky one makes
a poor recipe look good, and comparing two recipes on one split can pick the wrong one.

**k-fold cross-validation** uses every sample for scoring once. Cut the data into
:math:`k` folds; train :math:`k` models, each on :math:`k-1` folds, and score each on the
fold it did not see. The mean of the :math:`k` scores is the estimate; their spread says
how much one split would have wobbled. Scoring the same models on their *training* folds
gives the **generalisation gap**: how much better the model does on what it memorised.

A recipe that was *chosen* by cross-validation (the best learning rate of a grid) has an
optimistic cross-validation score: it won partly by luck on those folds. **Nested
cross-validation** keeps the choice honest: an inner cross-validation tunes, on the
training part of each outer fold only, and the outer folds estimate the whole
procedure, tuning included.

abinitio's estimators follow scikit-learn's contract, so ``cross_val_score``,
``GridSearchCV`` and ``Pipeline`` take them as they are, in skorch's shape.

The maths
---------

With folds :math:`F_1, \dots, F_k` and :math:`f_{-j}` the model trained without
:math:`F_j`, the cross-validation estimate of the error and its spread are

.. math::

   \widehat{E}_{\mathrm{CV}} = \frac{1}{k} \sum_{j=1}^{k} E_j, \qquad
   E_j = \frac{1}{|F_j|} \sum_{i \in F_j} \ell\big(f_{-j}(x_i), y_i\big), \qquad
   s^2 = \frac{1}{k-1} \sum_{j=1}^{k} \big(E_j - \widehat{E}_{\mathrm{CV}}\big)^2,

and the generalisation gap is :math:`E_{\text{held-out}} - E_{\text{train}}`. The folds'
training sets overlap, so the :math:`E_j` are correlated and :math:`s/\sqrt{k}`
understates the true uncertainty (Bengio and Grandvalet, 2004): read :math:`s` as "how
much one split varies", not as a confidence interval. The classifier's loss and its
derivative, on logits :math:`z = f(x)`, are
:math:`\ell = -\log \operatorname{softmax}(z)_y` and
:math:`\partial \ell / \partial z = \operatorname{softmax}(z) - \mathrm{onehot}(y)`.

Where it lives in abinitio
--------------------------

.. implementation::

``abinitio cv --dataset digits --model mlp --folds 5`` runs the same for a command-line
recipe and writes per-fold curves and a box plot of fold scores.
"""

# %%
# One split, ten times
# --------------------
# A small MLP on 600 handwritten digits. Ten random 75/25 splits of the same data give
# ten different verdicts on the same recipe.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import abinitio as ab
from abinitio.models import MLP
from abinitio.sklearn import NeuralNetClassifier

ab.manual_seed(0)
x, y = load_digits(return_X_y=True)
x, y = x[:600], y[:600]
net = NeuralNetClassifier(
    MLP,
    module__hidden_sizes=(32,),
    lr=0.01,
    max_epochs=15,
    batch_size=64,
    random_state=0,
)
model = make_pipeline(StandardScaler(), net)

single = []
for seed in range(10):
    x_a, x_b, y_a, y_b = train_test_split(x, y, test_size=0.25, random_state=seed)
    single.append(model.fit(x_a, y_a).score(x_b, y_b))
print(
    f"one split: {min(single):.3f} to {max(single):.3f}, std {np.std(single, ddof=1):.3f}"
)

# %%
# Five folds, and the gap
# -----------------------
folds = StratifiedKFold(5, shuffle=True, random_state=0)  # shuffled, like the splits
cv = cross_validate(model, x, y, cv=folds, return_train_score=True)
test, train = cv["test_score"], cv["train_score"]
print(f"5-fold held-out accuracy {test.mean():.3f} ± {test.std(ddof=1):.3f}")
print(
    f"training-fold accuracy   {train.mean():.3f}: gap {train.mean() - test.mean():.3f}"
)

fig, (ax, ax_box) = plt.subplots(1, 2, figsize=(10, 3.6))
ax.hist(single, bins=8, color="tab:gray", label="one split (10 seeds)")
ax.axvline(test.mean(), color="tab:red", label="5-fold mean")
ax.set(xlabel="held-out accuracy", ylabel="splits", title="one split wobbles")
ax.legend(fontsize=8)
ax_box.boxplot([train, test], tick_labels=["training folds", "held-out folds"])
ax_box.set(ylabel="accuracy", title="the generalisation gap, fold by fold")
plt.show()

# %%
# Nested cross-validation
# -----------------------
# The inner ``GridSearchCV`` chooses the learning rate on each outer training part; the
# outer folds score the procedure "tune, then train" on data the tuning never saw.
inner_folds = StratifiedKFold(3, shuffle=True, random_state=1)
inner = GridSearchCV(model, {"neuralnetclassifier__lr": [1e-3, 1e-2]}, cv=inner_folds)
nested = cross_val_score(
    inner, x, y, cv=StratifiedKFold(3, shuffle=True, random_state=2)
)
inner.fit(x, y)
print(f"best inner CV score {inner.best_score_:.3f} (optimistic: it is the maximum)")
print(f"nested estimate     {nested.mean():.3f} ± {nested.std(ddof=1):.3f}")

# %%
# One split's score wobbles by a few points with the seed; the 5-fold mean averages
# five such scores (the wobble shrinks, if by less than :math:`\sqrt{5}`, because the
# folds share training data). The training folds are scored almost perfectly: the gap,
# not the training score, says how well the network generalises. Tuning inside the
# folds costs a little optimism: the nested estimate is the honest one.
#
# Related topics
# --------------
# * :ref:`article-regularisation`: what to do about a large generalisation gap
# * :ref:`article-hyperparameter_tuning`: choosing the recipe, with pruning
# * :ref:`article-training_loop`: the Trainer that every fold runs
