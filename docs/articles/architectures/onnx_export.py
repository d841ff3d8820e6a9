r"""
.. _article-onnx_export:

Exporting a network to ONNX
===========================

A trained network is a function built from a few dozen kinds of operations. **ONNX**
(Open Neural Network Exchange) writes such a function down as a file: a list of *nodes*
(``Conv``, ``Relu``, ``Gemm``, ``LSTM``, ...), each reading named values and writing
new ones, plus the weights. Any ONNX runtime (onnxruntime on a server or a phone, a
browser, a compiler for an accelerator) can then run the network without the library
that trained it.

abinitio already records exactly that list while it computes: every operation is a
``Function`` whose ``forward`` runs on arrays (see :ref:`article-backpropagation`).
``abinitio.onnx.export(model, example, path)`` runs the model once on an example input,
records each ``Function`` call with its inputs and options (a *trace*), and translates
each call into ONNX nodes. ``torch.onnx.export`` takes the same arguments.

The maths
---------

A trace of a forward pass is the computation written as a straight-line program,

.. math::

   v_0 = x, \qquad v_k = f_k\big(v_{a_k}, v_{b_k}, \dots;\ \theta_k\big), \quad
   k = 1, \dots, K, \qquad y = v_K ,

where each input index :math:`a_k, b_k < k` (a value is computed before it is used: the
list is in topological order) and :math:`\theta_k` are constants: weights, strides, a
causal mask. Export maps each :math:`f_k` to ONNX's operator of the same meaning.
Sometimes the meaning matches but the *layout* does not. A GRU stacks its gate weights
as :math:`[W_r; W_z; W_n]` in PyTorch and abinitio, and as :math:`[W_z; W_r; W_h]` in
ONNX; the reset gate acts after the hidden product in PyTorch,
:math:`n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))`, which
is ONNX's ``linear_before_reset=1``. The export reorders the blocks
(:math:`[i, f, g, o] \to [i, o, f, c]` for an LSTM) and sets that flag.

What a trace cannot hold is what was *not* computed by the recorded operations: Python
``if`` s on the input's values, or a mask made in NumPy from the input. Both would be
frozen at the example. The export therefore traces twice, on the example and on other
values of the same shape, and refuses a model whose operations or constants differ.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A LeNet, exported and run in onnxruntime
# ----------------------------------------
import collections
import io

import numpy as np
import onnxruntime

import abinitio as ab
from abinitio import models, nn
from abinitio.autograd.function import Function
from abinitio.onnx import UnsupportedOperatorError, export

ab.manual_seed(0)
model = models.LeNet5().eval()
buffer = io.BytesIO()
batch = {0: "batch"}
proto = export(model, ab.randn(2, 1, 28, 28), buffer, input_names=["image"],
               output_names=["logits"], dynamic_axes={"image": batch, "logits": batch})  # fmt: skip
print(collections.Counter(node.op_type for node in proto.graph.node))
print("weights:", [init.name for init in proto.graph.initializer][:4], "...")

session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
x = ab.randn(7, 1, 28, 28)  # another batch size: the batch axis is dynamic
(onnx_logits,) = session.run(None, {"image": x.numpy()})
with ab.no_grad():
    gap = np.abs(onnx_logits - model(x).numpy()).max()
print(f"onnxruntime vs abinitio on a batch of 7: max |difference| = {gap:.1e}")

# %%
# Recurrent and attention models
# ------------------------------
# An LSTM language model and a two-layer GPT: ONNX's LSTM node, and attention written
# as MatMul, Softmax and MatMul with the causal mask as a constant.
for name, net, tokens in [
    ("CharRNN (LSTM)", models.CharRNN(20, 8, 16, cell="lstm"), ab.randint(0, 20, (2, 12))),
    ("GPT", models.GPT(20, 12, n_layers=2, n_heads=2, width=16), ab.randint(0, 20, (2, 12))),
]:
    buffer = io.BytesIO()
    proto = export(net.eval(), tokens, buffer)
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: tokens.numpy()})
    with ab.no_grad():
        gap = np.abs(got - net(tokens).numpy()).max()
    print(f"{name:15s} {len(proto.graph.node):4d} nodes, max |difference| {gap:.1e}")


# %%
# What cannot be exported says so
# -------------------------------
# A Function without an ONNX mapping is named, with the line that called it.
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        return x**3


try:
    export(nn.Sequential(nn.Linear(3, 3)), ab.randn(1, 3), io.BytesIO())
    export(lambda x: Cube.apply(x), ab.randn(1, 3), io.BytesIO())
except UnsupportedOperatorError as error:
    print(f"{type(error).__name__} naming {error.op!r}:", str(error).split(" (called")[0])

# %%
# On the command line, ``abinitio export RUN_DIR --format onnx`` writes
# ``RUN_DIR/model.onnx`` for a trained run and checks it in onnxruntime.
#
# Related topics
# --------------
# * :ref:`article-backpropagation`: the graph of Functions the trace records
# * :ref:`article-recurrent_networks`: the GRU and LSTM equations behind the gate order
# * :ref:`article-transformers`: the attention the export spells out in MatMuls
# * :ref:`article-vision_datasets`: the image pipeline in front of an exported CNN
