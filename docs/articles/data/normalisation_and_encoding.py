r"""
.. _article-normalisation_and_encoding:

Normalisation and categorical encoding
======================================

A network only sees numbers, and how the data is turned into numbers matters.

**Normalisation** puts every input feature on a similar scale. If one feature is measured
in metres (about 1) and another in grams (about 1000), the weights of the second get
gradients a thousand times larger, the loss surface becomes a narrow valley, and one
learning rate cannot suit both: training is slow or unstable. *Standardisation* shifts
each feature to mean 0 and scales it to standard deviation 1; *min-max scaling* maps each
feature onto a fixed range such as :math:`[0, 1]`.

**Categorical encoding** turns categories (colours, words, classes) into numbers without
inventing an order. Numbering the colours red = 0, green = 1, blue = 2 would tell the
network that blue is "twice green"; *one-hot encoding* instead gives each category its
own input, 1 for the category present and 0 for the others. Class labels used as
*targets* are simply numbered 0 to :math:`K - 1` (*label encoding*): the loss treats them
as indices, not quantities.

One rule matters above all: compute the statistics (mean, standard deviation, minimum,
maximum, the list of categories) on the **training data only**, then apply the same
numbers to validation and test data. Otherwise the test set leaks into training.

The same idea works *inside* a network, where the inputs of a hidden layer drift as the
layers before it learn. **Batch normalisation** standardises each feature of a layer's
input over the current mini-batch, then lets the network rescale it with a learned
:math:`\gamma` and :math:`\beta`; it keeps a running mean and variance for evaluation,
when there may be no batch to average over. **Layer normalisation** standardises each
sample over its own features instead, so it behaves the same in training and evaluation
and for any batch size: Transformers use it.

The maths
---------

For feature :math:`j` with training mean :math:`\mu_j` and standard deviation
:math:`\sigma_j`, and categories :math:`c_1, \dots, c_K`:

.. math::

   \text{standardise: } z_j = \frac{x_j - \mu_j}{\sigma_j}, \qquad
   \text{min-max: } x'_j = \frac{x_j - \min_j}{\max_j - \min_j}, \qquad
   \text{one-hot: } e_k(x) = \begin{cases}1 & x = c_k\\ 0 & \text{otherwise.}\end{cases}

Batch normalisation over a batch :math:`B` and layer normalisation over the :math:`d`
features of one sample are the same formula with different averages:

.. math::

   \text{BN: } y_{ij} = \gamma_j \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}} + \beta_j,
   \ \mu_j = \frac{1}{|B|}\sum_{i \in B} x_{ij}, \qquad
   \text{LN: } y_{ij} = \gamma_j \frac{x_{ij} - \mu_i}{\sqrt{\sigma_i^2 + \epsilon}} + \beta_j,
   \ \mu_i = \frac{1}{d}\sum_{j=1}^{d} x_{ij}.

Because the mean and variance depend on every element they average, the backward pass
has two extra terms: with :math:`\hat{x} = (x - \mu)/\sigma` and :math:`g = \gamma \odot
\partial\mathcal{L}/\partial y`, :math:`\partial\mathcal{L}/\partial x = \frac{1}{\sigma}
\big(g - \operatorname{mean}(g) - \hat{x} \operatorname{mean}(g \odot \hat{x})\big)`, the
means taken over the same axis as :math:`\mu`.

Why scale helps: for a linear model trained by squared error, the curvature of the loss
is :math:`\tfrac{2}{N}X^\top X`. Features of very different sizes give it eigenvalues of
very different sizes, and (see :ref:`article-learning_rate`) the largest one caps the
learning rate while the smallest sets the speed.

Where it lives in abinitio
--------------------------

.. implementation::

The preprocessing classes are thin wrappers around scikit-learn's that take and return
abinitio tensors in float32; the normalisation layers are abinitio's own.
"""

# %%
# Fit on the training split, apply to both
# -----------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler

rng = np.random.default_rng(0)
height_m = rng.normal(1.7, 0.1, 300)  # metres
weight_g = rng.normal(70_000, 12_000, 300)  # grams: a thousand times larger numbers
features = np.stack([height_m, weight_g], axis=1).astype(np.float32)
target = (3 * (height_m - 1.7) / 0.1 - 2 * (weight_g - 70_000) / 12_000).astype(
    np.float32
)
x_train, x_test = features[:240], features[240:]
y_train, y_test = target[:240], target[240:]

scaler = StandardScaler().fit(x_train)  # statistics of the training split only
print("training mean:", scaler.mean_, " std:", scaler.scale_)
print("scaled test rows:\n", scaler.transform(x_test[:3]))


# %%
# Scaling makes training fast
# ---------------------------
# The same linear model and optimiser on raw and on standardised features. On raw
# features the largest stable learning rate is set by the grams; the metres then learn
# hopelessly slowly.
def train(x, y, lr, steps=200):
    ab.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(ab.tensor(x)).reshape(-1), ab.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


raw = train(x_train, y_train, lr=1e-10)  # any larger and the raw run diverges
scaled = train(scaler.transform(x_train), y_train, lr=0.1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(raw, label="raw features (lr = 1e-10)")
ax.plot(scaled, label="standardised (lr = 0.1)")
ax.set(xlabel="step", ylabel="training MSE", yscale="log")
ax.legend()
plt.show()

# %%
# Normalising inside the network
# ------------------------------
# A batch of 4 samples with 3 features, far from mean 0 and variance 1. Batch norm
# standardises each column; layer norm each row (both start with gamma = 1, beta = 0).
batch = ab.tensor(rng.normal(5.0, 3.0, (4, 3)).astype(np.float32))
x = batch.numpy()
with ab.no_grad():
    batch_norm, layer_norm = nn.BatchNorm1d(3), nn.LayerNorm(3)
    by_column = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    by_row = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    print(
        "BatchNorm1d vs formula:", np.abs(batch_norm(batch).numpy() - by_column).max()
    )
    print("LayerNorm vs formula:", np.abs(layer_norm(batch).numpy() - by_row).max())
print("running mean after one batch (momentum 0.1):", batch_norm.running_mean.numpy())

# %%
# Encoding categories
# -------------------
colours = np.array([["red"], ["green"], ["blue"], ["green"]])
encoder = OneHotEncoder()
print("categories:", encoder.fit(colours).categories_[0])
print("one-hot:\n", encoder.transform(colours))
labels = LabelEncoder().fit(["cat", "dog", "bird"])
print("class indices for cat, bird, dog:", labels.transform(["cat", "bird", "dog"]))

# %%
# Related topics
# --------------
# * :ref:`article-gradient_descent`: the narrow valley that scaling removes
# * :ref:`article-learning_rate`: why one bad feature caps the learning rate
# * :ref:`article-loss_functions`: class indices as targets of the cross-entropy
# * :ref:`article-weight_initialisation`: initialisation assumes inputs of unit scale
# * :ref:`article-feature_engineering`: whole tables of your own, and learned embeddings
