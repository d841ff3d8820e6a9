r"""
.. _article-backpropagation:

Backpropagation and the chain rule
==================================

To improve a network we need, for every weight, the answer to one question: if this
weight grew a little, would the loss go up or down, and how fast? That is the partial
derivative :math:`\partial\mathcal{L}/\partial w`. **Backpropagation** computes all of
them at once, for the price of about one extra forward pass.

The idea: a network's computation is a chain of small operations (multiply, add, tanh,
...), each with a simple local derivative. Recording the operations as a **computational
graph** during the forward pass, and then walking that graph backwards from the loss,
multiplying local derivatives as we go, gives every gradient. The multiplying is the
**chain rule** of calculus; "back" because it starts at the loss and ends at the inputs.

The maths
---------

If :math:`\mathcal{L}` depends on :math:`w` only through :math:`z`, then

.. math::

   \frac{\partial\mathcal{L}}{\partial w}
     = \frac{\partial\mathcal{L}}{\partial z}\,\frac{\partial z}{\partial w},

and when :math:`w` feeds several paths, their contributions add up. Take one neuron with
a squared error: :math:`z = wx + b`, :math:`y = \tanh z`, :math:`e = y - t`,
:math:`\mathcal{L} = e^2`. Walking backwards, each step multiplies the gradient that
arrives from above by one local derivative:

.. math::

   \begin{aligned}
   \frac{\partial\mathcal{L}}{\partial e} &= 2e, &
   \frac{\partial\mathcal{L}}{\partial y} &= \frac{\partial\mathcal{L}}{\partial e}\cdot 1, &
   \frac{\partial\mathcal{L}}{\partial z} &= \frac{\partial\mathcal{L}}{\partial y}\,(1 - y^2),\\
   \frac{\partial\mathcal{L}}{\partial w} &= \frac{\partial\mathcal{L}}{\partial z}\, x, &
   \frac{\partial\mathcal{L}}{\partial b} &= \frac{\partial\mathcal{L}}{\partial z}, &
   \frac{\partial\mathcal{L}}{\partial x} &= \frac{\partial\mathcal{L}}{\partial z}\, w.
   \end{aligned}

For tensors the local step is a *vector-Jacobian product*: an operation
:math:`\mathbf{y} = f(\mathbf{x})` receives :math:`\mathbf{g} = \partial\mathcal{L}/\partial\mathbf{y}`
and returns :math:`\partial\mathcal{L}/\partial\mathbf{x} = J_f^\top\mathbf{g}`, without ever
building the Jacobian :math:`J_f`. Each abinitio primitive is a ``Function`` whose
``forward`` computes :math:`f` and whose ``backward`` computes that product; the engine
visits the graph in reverse topological order so that every node's gradient is complete
before it is passed on.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# The forward pass records a graph
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio.viz import draw_graph

x = ab.tensor(1.5)
t = ab.tensor(1.0)  # the target
w = ab.tensor(0.8, requires_grad=True)
b = ab.tensor(-0.5, requires_grad=True)
wx = w * x
z = wx + b
y = z.tanh()
e = y - t
loss = e * e
for node in (z, y, e):
    node.retain_grad()  # keep the gradients of intermediate results too
labels = {x: "x", t: "t", w: "w", b: "b", wx: "wx", z: "z", y: "y", e: "e", loss: "L"}
name_of = {id(tensor): name for tensor, name in labels.items()}
print(
    f"z = {z.item():.4f}, y = {y.item():.4f}, e = {e.item():.4f}, L = {loss.item():.4f}"
)
print("loss.grad_fn:", loss.grad_fn, "<- its inputs:", loss.grad_fn.inputs[0].grad_fn)

# %%
# The backward pass, by hand and by ``backward()``
# ------------------------------------------------
loss.backward(retain_graph=True)  # keep the graph so we can draw it with its gradients
dL_de = 2 * e.item()
dL_dz = dL_de * (1 - y.item() ** 2)
by_hand = {"e": dL_de, "y": dL_de, "z": dL_dz, "w": dL_dz * x.item(), "b": dL_dz}
for name, tensor in [("e", e), ("y", y), ("z", z), ("w", w), ("b", b)]:
    print(
        f"dL/d{name}: by hand {by_hand[name]:+.6f}, by backward() {tensor.grad.item():+.6f}"
    )

# %%
# Drawing the graph
# -----------------
# Rounded boxes are tensors, square boxes the operations that made them. The forward
# pass runs upwards, from the inputs at the bottom to the loss at the top; the backward
# pass runs down. ``grad_fn`` and its ``inputs`` are all a program needs to walk the
# graph, and all that ``backward()`` itself uses.
levels, edges, todo = {}, [], [(loss, 0)]  # levels: id -> (steps below L, node)
while todo:
    tensor, level = todo.pop()
    levels[id(tensor)] = (level, tensor)
    op = tensor.grad_fn
    if op is not None:
        levels[id(op)] = (level + 1, op)
        edges.append((id(op), id(tensor)))
        for parent in op.inputs:
            edges.append((id(parent), id(op)))
            todo.append((parent, level + 2))
rows = {}
for key, (level, _) in levels.items():
    rows.setdefault(level, []).append(key)
xy = {}
for level, keys in rows.items():
    for i, key in enumerate(keys):
        xy[key] = (i - (len(keys) - 1) / 2, -level)

fig, ax = plt.subplots(figsize=(6.5, 7))
arrow = {"arrowstyle": "->", "shrinkA": 14, "shrinkB": 14}
for start, end in edges:
    ax.annotate("", xy=xy[end], xytext=xy[start], arrowprops=arrow)
for key, (_, item) in levels.items():
    if isinstance(item, ab.Tensor):
        grad = "" if item.grad is None else f",  grad {item.grad.item():+.3f}"
        label = f"{name_of[key]} = {item.item():.3f}{grad}"
        style = {"boxstyle": "round", "facecolor": "white"}
    else:
        label, style = item.name(), {"boxstyle": "square", "facecolor": "#eef3fb"}
    ax.text(*xy[key], label, ha="center", va="center", fontsize=9, bbox=style)
ax.set(xlim=(-1.3, 1.3), ylim=(-max(rows) - 0.5, 0.5))
ax.axis("off")
plt.show()

# %%
# The same graph as Graphviz DOT text, from ``abinitio.viz.draw_graph`` (with the
# ``graphviz`` package and program installed, ``render="graph"`` writes ``graph.svg``):
print(draw_graph(loss, labels=labels))


# %%
# Checking backpropagation against finite differences
# ---------------------------------------------------
# ``gradcheck`` nudges each input by :math:`\pm\epsilon` and compares
# :math:`(\mathcal{L}(w + \epsilon) - \mathcal{L}(w - \epsilon)) / 2\epsilon` with the
# gradient from ``backward()``, in float64. It is how every primitive in abinitio is
# tested, and how to test a layer of your own.
def neuron_loss(w, b):
    return ((w * 1.5 + b).tanh() - 1.0) ** 2


inputs = (
    ab.tensor(0.8, dtype=ab.float64, requires_grad=True),
    ab.tensor(-0.5, dtype=ab.float64, requires_grad=True),
)
print("gradcheck passes:", ab.gradcheck(neuron_loss, inputs))

# %%
# Finding where a NaN is born
# ---------------------------
# One ``log(0)`` or ``sqrt`` of a negative number deep in a model makes every later value,
# and the loss, NaN or infinite, and the loss alone cannot say where it started.
# ``ab.autograd.detect_anomaly()`` makes every primitive check its forward result and its
# backward gradients: the first that *creates* a NaN or an infinity from finite inputs
# raises, naming itself, its input shapes and the line that called it. (The derivative of
# :math:`\sqrt{w}` is :math:`1 / 2\sqrt{w}`: infinite at 0, although the forward is fine.)
w = ab.tensor([4.0, 0.0], requires_grad=True)
with ab.autograd.detect_anomaly(), np.errstate(divide="ignore"):
    root = w.sqrt().sum()
    try:
        root.backward()
    except ab.autograd.AnomalyError as error:
        print(f"{error}".split(", created")[0])
        print("the forward call it points at:", error.where.split(": ", 1)[1])

# %%
# Related topics
# --------------
# * :ref:`article-neuron`: the neuron whose gradients we just computed
# * :ref:`article-gradient_descent`: what to do with the gradients
# * :ref:`article-activation_functions`: the local derivatives of the non-linearities
# * :ref:`article-loss_functions`: where the backward pass starts
# * :ref:`article-residual_networks`: when the chained factors make the gradient vanish
