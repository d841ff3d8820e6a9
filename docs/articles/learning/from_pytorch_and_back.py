r"""
.. _article-from_pytorch_and_back:

From PyTorch to abinitio and back
=================================

abinitio keeps PyTorch's names and semantics so that what you learn carries both ways: a
``torch.nn.Linear`` is an ``abinitio.nn.Linear``, ``loss.backward()`` fills ``p.grad``
the same way, ``optimizer.step()`` follows the same pseudocode. The difference is that
every line underneath is readable NumPy.

**What maps one to one.** Tensors and their methods, autograd (``backward``,
``no_grad``, ``inference_mode``, ``Function``), ``nn`` (layers, losses, ``init``,
``utils.clip_grad_norm_``), ``nn.functional``, ``optim`` and ``optim.lr_scheduler``,
``utils.data`` (``Dataset``, ``DataLoader``), ``distributions``, ``save``/``load``,
the set-up idioms (``torch.device``, ``torch.cuda.is_available()``,
``torch.backends.mps.is_available()``), and ``p.data``: a Tensor sharing memory and
recording no graph, so ``p.data.add_(p.grad, alpha=-lr)`` is an update autograd does not
see.

**The few deliberate differences** (the README keeps the full list):

* The raw NumPy array of a tensor is ``t.array`` (no copy), which PyTorch does not have.
* Python floats and float64 arrays become float32 unless ``dtype=`` asks for float64;
  float16 and bfloat16 are refused with an error (NumPy has no fast kernels for them).
* ``view`` is ``reshape``; the GPU is CuPy's (``cuda.is_available()`` is False without
  it); ``multiprocessing`` copies tensors instead of sharing them; ``save`` writes
  safetensors, never pickles, so whole modules cannot be saved, only state dicts.

**Run a PyTorch script on abinitio**: ``python -m abinitio.torch train.py --epochs 3``.
An import hook answers ``import torch`` (and ``torchvision``) with abinitio's modules by
one rule, ``torch.X`` :math:`\mapsto` ``abinitio.X``, then runs the script. A name
abinitio lacks fails where the program uses it: *"abinitio does not implement
torch.nn.Foo yet (used at train.py:12)"*. Step into any call with a debugger and you land
in abinitio's source. **And back**: ``abinitio.onnx.export(model, args, path)`` (also
``torch.onnx.export`` under the hook) writes an ONNX file that onnxruntime, or PyTorch's
tooling, runs.

The maths
---------

Same names must mean the same functions. The compatibility suite
(``tests/torch_compat``) runs five PyTorch-style programs twice from the same weights
:math:`\theta_0`, once under torch and once through the hook, and asserts that the losses
agree at every step :math:`t \le 20`:

.. math::

   \bigl|\mathcal{L}^{\text{abinitio}}_t - \mathcal{L}^{\text{torch}}_t\bigr|
   \le 10^{-4}\,\bigl(1 + |\mathcal{L}^{\text{torch}}_t|\bigr),
   \qquad \theta_{t+1} = \theta_t - \eta\, g(\nabla_\theta \mathcal{L}_t),

which holds only if the forward pass, every derivative and the optimiser's update rule
:math:`g` agree; measured, they agree to about :math:`3 \times 10^{-7}` (float32
rounding) on four of the five, and :math:`3 \times 10^{-5}` on the policy gradient.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A PyTorch program, unchanged, on abinitio
# -----------------------------------------
# The hook can also be switched on inside a Python process: ``torch_modules()`` installs
# it for a block (and puts any real torch back afterwards). Below, a program written for
# PyTorch, with its set-up idioms, trains a small network; every object it touches is
# abinitio's.
import numpy as np

import abinitio
from abinitio.torch import torch_modules

with torch_modules():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    x = torch.randn(256, 2)
    y = ((x[:, 0] * x[:, 1]) > 0).long()  # XOR-like quadrants
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, num_workers=2)

    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2)).to(device)
    model[2].bias.data.fill_(0.0)  # .data is a Tensor, as in PyTorch
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    history = []
    for epoch in range(30):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
            loss.backward()
            optimizer.step()
        history.append(loss.item())
    with torch.inference_mode():
        accuracy = (model(x).argmax(1) == y).float().mean()
    print(f"loss {history[-1]:.4f}, accuracy {accuracy:.3f} on {device}")
    print(type(model[0]).__module__, "is what torch.nn.Linear was here")

    try:
        torch.compile(model)
    except AttributeError as error:
        print(str(error).split(";")[0])

# %%
# The same number under both
# --------------------------
# With the hook off again, ``import torch`` is PyTorch itself (when installed). The
# hook's ``Linear`` and PyTorch's compute the same function from the same weights.
import matplotlib.pyplot as plt

try:
    import torch as real_torch
except ImportError:
    real_torch = None
if real_torch is not None:
    ours = abinitio.nn.Linear(2, 32)
    theirs = real_torch.nn.Linear(2, 32)
    theirs.load_state_dict({k: real_torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    probe = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    gap = np.abs(ours(abinitio.tensor(probe)).detach().numpy()
                 - theirs(real_torch.from_numpy(probe)).detach().numpy()).max()  # fmt: skip
    print(f"largest difference between the two Linear layers: {gap:.1e}")

plt.plot(history)
plt.xlabel("epoch")
plt.ylabel("last batch's loss")
plt.title("a PyTorch program, trained by abinitio")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-backpropagation`: what ``loss.backward()`` does underneath
# * :ref:`article-gradient_descent`: the optimisers' update rules, line by line
# * :ref:`article-training_loop`: abinitio's own Trainer, for when you stop porting
