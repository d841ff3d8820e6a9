r"""
.. _article-federated_learning:

Federated learning
==================

Federated learning trains one model across devices or organisations that hold their own
data and never send it anywhere: hospitals that may not share records, phones whose
keyboards should learn without uploading what was typed. A **server** holds the global
model; each round it sends the model to some **clients**, each trains it on its own data
for a while, and the server combines what came back into the next global model. Only
parameters travel, never examples.

abinitio brings the model and the local training; `Flower <https://flower.ai>`_ brings the
protocol, the strategies that combine updates, the transport and the fault handling. The
same ClientApp and ServerApp run on one machine (Flower's deployment engine on
127.0.0.1, started and stopped by ``abinitio federated``) and across machines.

FedAvg is weighted averaging of local SGD
-----------------------------------------

Client :math:`k` holds :math:`n_k` examples, :math:`n = \sum_k n_k`, and its loss is the
mean :math:`F_k(w) = \frac{1}{n_k}\sum_{i \in k} \ell(w; x_i, y_i)`. The loss on all the
data is then the example-weighted mean of the clients' losses:

.. math::

   F(w) = \frac1n \sum_i \ell(w; x_i, y_i) = \sum_k \frac{n_k}{n} F_k(w).

**FedAvg** (McMahan et al., 2017) sends :math:`w^t` to the clients, lets each run
:math:`E` epochs of SGD from it to :math:`w_k^{t+1}`, and takes

.. math::

   w^{t+1} = \sum_k \frac{n_k}{n} w_k^{t+1}.

With one full-batch gradient step per round, :math:`w_k^{t+1} = w^t - \eta \nabla F_k(w^t)`
and so :math:`w^{t+1} = w^t - \eta \sum_k \frac{n_k}{n}\nabla F_k(w^t) = w^t - \eta\nabla
F(w^t)`: exactly gradient descent on the pooled data (the test suite checks this to float
tolerance, through Flower's own FedAvg). More local steps save communication: each round
does the work of many gradient steps for the price of one exchange of parameters.

Why non-IID data hurts
----------------------

With several local steps the equality breaks: client :math:`k` walks towards the minimum of
*its* :math:`F_k`, not of :math:`F`. When the clients' data are alike (IID) the
:math:`F_k` are alike too and the average of their walks is a good step on :math:`F`. When
each client sees mostly a few classes, the local minima differ, the clients **drift**
apart, and their average can be a poor model for everyone; the more local work per
round, the worse. A **Dirichlet(**\ :math:`\alpha`\ **)** split makes the skew a dial:
each class is dealt out to the clients in proportions drawn from
:math:`\mathrm{Dir}(\alpha\mathbf 1)`; :math:`\alpha = 100` is nearly IID, :math:`\alpha =
0.1` gives each client one or two dominant classes. **Label shards** (two sorted shards of
the data per client) are the harsh case of McMahan et al.

FedProx and the server optimisers
---------------------------------

**FedProx** (Li et al., 2020) keeps each client near the model it started from by adding
a proximal term to its local loss:

.. math::

   \min_w \; F_k(w) + \frac{\mu}{2}\lVert w - w^t\rVert^2,
   \qquad \nabla = \nabla F_k(w) + \mu (w - w^t).

:math:`\mu = 0` is FedAvg; a larger :math:`\mu` limits the drift at the cost of slower
local progress. In abinitio the term is a loss, :class:`~abinitio.federated.ProximalLoss`,
added on the client when Flower's ``FedProx`` strategy sends ``proximal-mu``.
**FedAdam**, **FedYogi** and **FedAdagrad** (Reddi et al., 2021) treat
:math:`\Delta^t = \sum_k \frac{n_k}{n} w_k^{t+1} - w^t` as a pseudo-gradient and apply an
adaptive optimiser to it on the server; **FedAvgM** applies momentum. **FedTrimmedAvg**,
**FedMedian** and **Krum** are robust aggregators that ignore outlying updates.

What differential privacy and secure aggregation protect
--------------------------------------------------------

Parameters are not data, but they leak it: an update can reveal whether an example was
in a client's set, and sometimes reconstruct it. Two defences answer two threats.

**Differential privacy** bounds what anyone who sees the *result* can learn about one
client. Flower's central DP clips each client's update to norm :math:`C` and adds
Gaussian noise of standard deviation :math:`\sigma C / m` to the mean of :math:`m`
updates. Over :math:`T` rounds in which every client takes part, Rényi DP gives

.. math::

   \varepsilon(\delta) = \frac{T}{2\sigma^2} + \sqrt{\frac{2T\log(1/\delta)}{\sigma^2}}

(:func:`~abinitio.federated.gaussian_epsilon`; sampling clients would lower it). The cost
is accuracy: noise of a size that makes :math:`\varepsilon` small on ten clients swamps
the signal; DP needs many clients, so that :math:`\sigma C/m` is small.

**Secure aggregation** (Bonawitz et al., 2017; Bell et al., 2020, Flower's SecAgg+) hides
each *individual* update from the server. Client :math:`i` scales its parameters by its
weight :math:`n_i/M`, quantises them to integers in :math:`[0, R)` after clipping to
:math:`[-c, c]`, and adds, modulo :math:`2^{32}`, a private mask and one pairwise mask
:math:`\pm m_{ij}` per neighbour :math:`j` (the two ends of a pair add and subtract the
same pseudo-random vector, grown from a Diffie-Hellman key they agree on). What reaches the
server looks uniformly random; in the sum the pairwise masks cancel, and the private
masks are removed with Shamir shares of their seeds, which the neighbours hand over once
the masked vectors are in. A client that drops out mid-round is recovered the same way,
from shares of its key (at least ``--secagg-threshold`` of them). The server so learns

.. math::

   \bar w = \frac{\sum_i n_i w_i}{\sum_i n_i} + \epsilon, \qquad
   \lvert\epsilon\rvert \le \frac{N}{\sum_i n_i/M}\cdot\frac{2c}{R}

(stochastic rounding costs at most one level per client and coordinate; :math:`R = 2^{22}`,
:math:`c = 8`, and abinitio sets :math:`M` to the training set's size, so about
:math:`4\cdot 10^{-5}` for ten clients), and nothing else about any :math:`w_i`. It
protects against a curious server (and anyone who reads its traffic), not against what
the mean itself reveals (that is DP's job); for honest-but-curious parties, up to the
threshold colluding.

What it costs and excludes. Four exchanges a round instead of one (keys, encrypted shares,
masked vectors, unmasking shares), each a Flower message to every client; key agreement
and mask generation on the clients. And the server can no longer look at an update: the
guard that drops NaN, infinite or wrongly shaped updates cannot run there. Under
``--secure-aggregation`` it runs on each client, *before masking*
(:func:`~abinitio.federated.secure.guard_before_masking`), together with a check that no
value leaves :math:`[-c, c]` (SecAgg+ would clip it silently); a client that fails it
replies with an error and SecAgg+ treats it as dropped. That stops faults (a diverged
client, a bug), not a malicious client, which runs its own code. Server-side DP (which
clips each update) and the robust aggregators (median, Krum: they need the individual
updates) are excluded too; it is FedAvg only.

In Flower 1.42 SecAgg+ lives in the older workflow API: ``SecAggPlusWorkflow`` as the fit
step of a ``DefaultWorkflow`` around a legacy ``FedAvg``, and ``secaggplus_mod`` on a
``ClientApp`` whose ``NumPyClient`` returns its parameters.
:mod:`abinitio.federated.secure` builds those two around the same local training and the
same per-round record and checkpoint as the plain apps.

Faults
------

On real fleets clients crash, stall and send garbage. The ServerApp asks Flower for
replies with a round timeout and lets the round go on with whoever answered; a guard in
front of the strategy (:func:`~abinitio.federated.guard`) drops every reply that is an
error, arrives late, or whose arrays differ from the global model's names and shapes or
hold NaN or infinity, and logs it with the client's id, so the strategy averages only
sound updates.

Where it lives in abinitio
--------------------------

.. implementation::

``abinitio federated --dataset digits --model mlp --clients 10 --rounds 20 --partition
dirichlet:0.5 --strategy fedavg`` runs it all on one machine and writes a report;
``abinitio evaluate RUN_DIR`` scores the global model; ``--secure-aggregation`` runs the
same under SecAgg+ (``abinitio/federated/secure.py``). On many machines the same apps run
under ``flower-superlink`` on one host and ``flower-supernode --node-config
"data-file='/data/mine.npz'"`` on each other, with TLS (the README has the commands).
On one machine Flower's default process model starts a fresh ``flwr-clientapp`` process,
which imports Flower again, for every message; the launcher instead runs each SuperNode
with ``--isolation process`` beside a SuperExec that forks every ClientApp process from a
parent that has imported Flower and the app once (``abinitio/federated/_superexec.py``):
still one process per message, but a 10-client round cost 3.5 CPU-seconds instead of 39
(measured on a loaded 2-core machine; the README has the numbers).

What goes over the wire is also counted in requests, not bytes. Flower stores a message as
a tree of objects (the message, its records, and per tensor an ``Array`` and its
``ArrayChunk``), and each hop fetches every object in its own request: for a small MLP the
requests cost far more than the 70 kB they carry. So by default the model travels
*packed*: one flat array per dtype, the tensors concatenated in ``state_dict`` order, with
their names, dtypes and shapes (``layout_of``) in the round's config, where the client
checks them against its own model before it trains (``--wire arrays`` sends one ``Array``
per tensor instead). FedAvg, FedProx's server side, FedAdam, trimmed means, Krum and the
clipping of central DP all work element by element or on the whole vector, so they give
the same result on the packed array (to rounding where a norm or distance sums over the
whole vector in another order); the test suite checks FedAvg and the update guard both ways.
"""

# %%
# Who holds what: three ways to split the digits
# ----------------------------------------------
# The labels each of 10 clients holds: IID, Dirichlet(0.5) and Dirichlet(0.1).
import matplotlib.pyplot as plt
import numpy as np
from flwr.app import MetricRecord, RecordDict
from flwr.serverapp.strategy.strategy_utils import aggregate_arrayrecords

import abinitio as ab
from abinitio import nn
from abinitio.data import datasets
from abinitio.federated import (
    gaussian_epsilon,
    label_counts,
    load_arrays,
    model_arrays,
    partition,
    plot_label_distribution,
    to_array_record,
)
from abinitio.federated.apps import evaluate_arrays, local_train

data = datasets.digits()
fig, axes = plt.subplots(1, 3, figsize=(12, 3), sharey=True)
splits = {}
for ax, spec in zip(axes, ["iid", "dirichlet:0.5", "dirichlet:0.1"]):
    splits[spec] = partition(data.y_train, 10, spec, seed=0)
    plot_label_distribution(label_counts(data.y_train, splits[spec], 10), title=spec, ax=ax)
    ax.get_legend().remove()
fig.tight_layout()
plt.show()

# %%
# FedAvg in a few lines, with Flower's own averaging
# --------------------------------------------------
# Each round every client trains the global MLP for one epoch of SGD on its own data; the
# server averages the results weighted by examples, with the very function Flower's
# FedAvg calls (``aggregate_arrayrecords``). Here the clients run in this process; in
# ``abinitio federated`` each is a Flower SuperNode. FedProx adds its proximal term.
# Per epoch of data FedAvg trails centralised training even on IID data: ten clients'
# walks of 9 steps, averaged, advance about as far as one walk of 9 steps (with less
# noise), where the centralised run takes 90 steps per epoch.


def model():
    ab.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def fedavg(parts, rounds=12, mu=0.0):
    server = model()
    curve = []
    for t in range(rounds):
        start = model_arrays(server)
        replies = []
        for k, index in enumerate(parts):
            local = model()
            load_arrays(local, start)
            fit = local_train(local, data.x_train[index], data.y_train[index], epochs=1,
                              lr=0.1, batch_size=16, proximal_mu=mu, seed=1000 * t + k)
            metrics = MetricRecord({"num-examples": fit["num-examples"]})
            arrays = to_array_record(model_arrays(local))
            replies.append(RecordDict({"arrays": arrays, "metrics": metrics}))
        average = aggregate_arrayrecords(replies, "num-examples")  # Flower's FedAvg
        load_arrays(server, {name: array.numpy() for name, array in average.items()})
        curve.append(evaluate_arrays(server, data.x_test, data.y_test)["accuracy"])
    return curve


central = model()
local_train(central, data.x_train, data.y_train, epochs=12, lr=0.1, batch_size=16)
central_accuracy = evaluate_arrays(central, data.x_test, data.y_test)["accuracy"]
curves = {"IID": fedavg(splits["iid"]), "Dirichlet(0.1)": fedavg(splits["dirichlet:0.1"]),
          "Dirichlet(0.1), FedProx mu=0.1": fedavg(splits["dirichlet:0.1"], mu=0.1)}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, curve in curves.items():
    ax.plot(range(1, len(curve) + 1), curve, marker=".", label=name)
    print(f"{name}: {curve[-1]:.1%} after {len(curve)} rounds")
ax.axhline(central_accuracy, color="k", ls="--", label="centralised, 12 epochs")
print(f"centralised: {central_accuracy:.1%}")
ax.set(xlabel="round", ylabel="test accuracy")
ax.legend()
plt.show()

# %%
# The price of differential privacy
# ---------------------------------
# epsilon (delta = 1e-5) after T rounds with every client in every round, by noise
# multiplier sigma: small epsilon needs large sigma, and the noise on the mean of m
# clients' clipped updates is sigma * C / m.
for sigma in (0.5, 1.0, 2.0, 4.0):
    row = ", ".join(f"T={t}: {gaussian_epsilon(sigma, t, 1e-5):6.1f}" for t in (1, 10, 30))
    print(f"sigma = {sigma}: epsilon {row}")

# %%
# Masks that cancel: SecAgg+'s arithmetic by hand
# ------------------------------------------------
# Three clients' weighted parameters, quantised and masked with Flower's own functions:
# each masked vector is noise, their sum (mod 2**32) unmasks to the weighted mean. Flower
# also removes private masks and recovers dropped clients; the pairwise part is shown.
from flwr.common.secure_aggregation.quantization import dequantize, quantize
from flwr.common.secure_aggregation.secaggplus_utils import pseudo_rand_gen

R, MOD, C = 2**22, 2**32, 8.0
np.random.seed(0)  # Flower's stochastic rounding draws from NumPy's global generator
updates = [np.random.default_rng(k).normal(0, 0.3, 5) for k in range(3)]
ratios = np.array([120.0, 300.0, 80.0]) / 500  # n_i / M
masked = [quantize([w * r], C, R)[0].astype(np.int64) for w, r in zip(updates, ratios)]
for i, j in [(0, 1), (0, 2), (1, 2)]:  # the pair's mask: i adds it, j subtracts it
    m = pseudo_rand_gen(bytes([i, j]) * 16, MOD, [(5,)])[0]
    masked[i], masked[j] = (masked[i] + m) % MOD, (masked[j] - m) % MOD
print("client 0 sends:", masked[0])
mean = dequantize([sum(masked) % MOD], C, R)[0] - (len(updates) - 1) * C
exact = sum(r * w for r, w in zip(ratios, updates))
print(f"unmasked mean {np.round(mean, 5)}\nweighted mean {np.round(exact, 5)}")
print(f"largest error {np.abs(mean - exact).max():.1e}, bound N * 2c / R = {3 * 2 * C / R:.1e}")

# %%
# The runs on real Flower processes
# ---------------------------------
# ``scripts/federated_runs.py`` runs ``abinitio federated`` on 10 SuperNodes; its measured
# results (accuracy, against the centralised baseline, the skewed split with FedProx and
# FedAdam, and 3 faulty clients out of 10) are in the README's federated section.

# %%
# Related topics
# --------------
# * :ref:`article-gradient_descent`: what FedAvg reduces to with one full-batch step
# * :ref:`article-many_processes`: data-parallel training, where the data *may* move
# * :ref:`article-training_loop`: the local training each client runs
