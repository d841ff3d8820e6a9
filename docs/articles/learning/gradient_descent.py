r"""
.. _article-gradient_descent:

Gradient descent, SGD and Adam
==============================

Backpropagation tells us, for every weight, which way is uphill. **Gradient descent**
takes a small step the other way, recomputes the gradient, and repeats. The size of the
step is the **learning rate**: too small and training crawls, too large and it
overshoots and diverges.

* **Batch gradient descent** uses the gradient of the loss over the whole training set:
  exact, but one step costs a pass over all the data.
* **Stochastic gradient descent (SGD)** estimates the gradient from a small random
  *mini-batch*. Each step is cheap and noisy; the noise averages out over many steps and
  can even help escape poor regions. Almost all deep learning uses mini-batches.
* **Momentum** keeps a running sum of past gradients, so steps build up speed along
  directions where successive gradients agree and cancel where they zig-zag.
* **Adam** keeps running averages of each weight's gradient and of its square, and scales
  each weight's step by them: weights with small, consistent gradients take steps as
  large as those with big ones. It works well with little tuning.

The maths
---------

For parameters :math:`\theta`, loss :math:`\mathcal{L}`, learning rate :math:`\gamma` and
:math:`g_t = \nabla_\theta \mathcal{L}_{B_t}(\theta_{t-1})` the gradient on mini-batch
:math:`B_t`:

.. math::

   \begin{aligned}
   \text{SGD:}\quad & \theta_t = \theta_{t-1} - \gamma\, g_t\\
   \text{momentum } \mu:\quad & b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \gamma\, b_t\\
   \text{Adam:}\quad & m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
                       v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,\\
   & \hat m_t = \frac{m_t}{1 - \beta_1^t}, \quad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \quad
     \theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.
   \end{aligned}

The mini-batch gradient is an unbiased estimate of the full one,
:math:`\mathbb{E}[g_t] = \nabla_\theta\mathcal{L}(\theta_{t-1})`. Adam's division by
:math:`1 - \beta^t` corrects the averages for starting at zero.

Where it lives in abinitio
--------------------------

.. implementation::

Each optimiser's docstring gives this pseudocode, and its ``step`` follows it line by line.
"""

# %%
# A loss surface we can draw
# --------------------------
# Fitting a line :math:`\hat y = wx + b` by mean squared error has two parameters, so its
# loss is a surface over the :math:`(w, b)` plane. With inputs that are not centred on
# zero, :math:`w` and :math:`b` trade off against each other and the surface is a long
# narrow valley: hard for plain gradient descent.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim

rng = np.random.default_rng(0)
x_data = rng.uniform(0, 4, 200).astype(np.float32)
y_data = (2 * x_data - 1 + rng.normal(0, 0.5, 200)).astype(np.float32)
x, y = ab.tensor(x_data), ab.tensor(y_data)


def mse(params, x, y):
    return ((params[0] * x + params[1] - y) ** 2).mean()


def descend(make_optimizer, batch_size, steps=150):
    """The path of (w, b) from the same start, one mini-batch per step."""
    ab.manual_seed(0)
    params = nn.Parameter(ab.tensor([-1.0, 4.0]))
    optimizer = make_optimizer([params])
    path = [params.detach().numpy().copy()]
    for _ in range(steps):
        batch = ab.randint(
            0, 200, (batch_size,)
        )  # a random mini-batch (with replacement)
        optimizer.zero_grad()
        mse(params, x[batch], y[batch]).backward()
        optimizer.step()
        path.append(params.detach().numpy().copy())
    return np.array(path)


runs = {
    "gradient descent (all 200 points)": descend(lambda p: optim.SGD(p, lr=0.05), 200),
    "SGD, batches of 8": descend(lambda p: optim.SGD(p, lr=0.05), 8),
    "SGD + momentum 0.9, batches of 8": descend(
        lambda p: optim.SGD(p, lr=0.01, momentum=0.9), 8
    ),
    "Adam, batches of 8": descend(lambda p: optim.Adam(p, lr=0.1), 8),
}

# %%
# The paths on the loss surface (contours of the full-data loss), and the full-data
# loss along each path:
w_grid, b_grid = np.meshgrid(np.linspace(-1.5, 3.5, 200), np.linspace(-3, 4.5, 200))
surface = ((w_grid[..., None] * x_data + b_grid[..., None] - y_data) ** 2).mean(-1)
fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=[1.2, 1])
ax.contour(w_grid, b_grid, surface, levels=np.geomspace(0.2, 60, 14), cmap="Greys")
for name, path in runs.items():
    ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1, label=name)
    losses = [mse(ab.tensor(p), x, y).item() for p in path]
    ax_loss.plot(losses, label=name)
ax.plot(-1, 4, "ko")
ax.set(xlabel="slope $w$", ylabel="intercept $b$", title="paths from (-1, 4)")
ax_loss.set(xlabel="step", ylabel="full-data loss", yscale="log", title="loss")
ax_loss.legend(fontsize=8)
plt.show()

# %%
# Plain gradient descent first moves along the steep direction, into the valley, and
# then creeps along its gently sloping floor. Mini-batches make the same path noisy, but
# each step costs 8 points instead of 200. Momentum gathers speed along the floor and
# gets there first, overshooting a little. Adam moves each coordinate by about the
# learning rate per step, whatever the size of its gradient: a steady walk that is no
# faster on this small, smooth problem. Its advantage shows in large networks, whose
# weights have gradients of very different sizes.
for name, path in runs.items():
    print(f"{name:36s} ends at w = {path[-1, 0]:.3f}, b = {path[-1, 1]:.3f}")
best = np.polyfit(x_data, y_data, 1)
print(f"{'least squares (exact)':36s}         w = {best[0]:.3f}, b = {best[1]:.3f}")

# %%
# One step for all parameters: flat buffers (``foreach``)
# --------------------------------------------------------
# NumPy costs a few microseconds per call whatever the array's size, and Adam makes about
# twelve calls per parameter tensor: a GPT's 29 tensors mean some 350 calls a step. PyTorch's
# ``foreach`` kernels take lists of tensors; NumPy has none, so abinitio makes the tensors
# lie in one array instead. With ``foreach=None`` (the default) SGD, Adam and AdamW turn
# each group's parameters into views of one flat buffer (and their momentum and running
# averages too) wherever that is safe: every parameter's array referenced by its tensor
# alone, so that no link is cut. A step is then a dozen whole-buffer calls, and because each
# element sees the same operations in the same order, the numbers equal the loop's, bit
# for bit. If an array is replaced (``p.data = ...``, ``load_state_dict``), the next step
# notices and rebuilds, or takes the loop while the new array is shared.
results = {}
for foreach in (False, None):
    ab.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = optim.Adam(net.parameters(), lr=0.01, foreach=foreach)
    inputs, targets = ab.tensor(x_data[:, None]), ab.tensor(y_data[:, None])
    for _ in range(50):
        optimizer.zero_grad()
        ((net(ab.cat([inputs, inputs**2], 1)) - targets) ** 2).mean().backward()
        optimizer.step()
    results[foreach] = [p.array.copy() for p in net.parameters()]
    views = [p.array.base is not None for p in net.parameters()]
    print(f"foreach={foreach!s:5s}: parameters are views of one buffer: {all(views)}")
same = all(np.array_equal(a, b) for a, b in zip(results[False], results[None]))
print("flat buffers and the per-parameter loop give identical weights:", same)

# %%
# Related topics
# --------------
# * :ref:`article-backpropagation`: where the gradients come from
# * :ref:`article-learning_rate`: choosing and scheduling the step size
# * :ref:`article-loss_functions`: the surface being descended
# * :ref:`article-normalisation_and_encoding`: centred inputs make the valley round
# * :ref:`article-training_loop`: the optimiser step inside a full training run
# * :ref:`article-reinforcement_learning`: gradient steps whose data the policy itself collects
