"""Algebraic laws that hold whatever the values: hypothesis draws shapes and values, and a
law that fails points at a bug no single hand-picked example would show."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import abinitio as ab
import abinitio.nn.functional as F
from abinitio import nn


def _floats(low=-10.0, high=10.0):
    return st.floats(low, high, width=32, allow_subnormal=False)


def _array(data, shape, low=-10.0, high=10.0, label="x"):
    return data.draw(hnp.arrays(np.float32, shape, elements=_floats(low, high)), label=label)


@given(data=st.data(), rows=st.integers(1, 5), cols=st.integers(1, 7),
       scale=st.sampled_from([1.0, 100.0, 1e4]))  # fmt: skip
def test_softmax_rows_are_distributions(data, rows, cols, scale):
    x = _array(data, (rows, cols)) * np.float32(scale)
    p = ab.tensor(x).softmax(-1).numpy()
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    # the largest logit gets the largest probability
    assert (p[np.arange(rows), x.argmax(-1)] >= p.max(-1) - 1e-7).all()


@given(data=st.data(), length=st.integers(1, 6), queries=st.integers(1, 4),
       dim=st.integers(1, 5), causal=st.booleans())  # fmt: skip
def test_attention_is_equivariant_to_permuting_keys_with_values(data, length, queries, dim,
                                                                causal):  # fmt: skip
    if causal:
        queries = length  # a causal mask ties query i to keys <= i: permute queries instead
    q, k, v = (_array(data, (2, n, dim), -3, 3, name) for n, name in
               [(queries, "q"), (length, "k"), (length, "v")])  # fmt: skip
    perm = data.draw(st.permutations(range(length)), label="perm")
    out = F.scaled_dot_product_attention(ab.tensor(q), ab.tensor(k), ab.tensor(v),
                                         is_causal=causal).numpy()  # fmt: skip
    if causal:  # permuting queries permutes the output rows only when no mask is applied
        return np.testing.assert_allclose(out[:, 0], v[:, 0], rtol=1e-5, atol=1e-6)
    permuted = F.scaled_dot_product_attention(ab.tensor(q), ab.tensor(k[:, perm]),
                                              ab.tensor(v[:, perm])).numpy()  # fmt: skip
    np.testing.assert_allclose(permuted, out, rtol=1e-4, atol=1e-5)
    # and permuting the queries permutes the output rows
    qperm = data.draw(st.permutations(range(queries)), label="qperm")
    rows = F.scaled_dot_product_attention(ab.tensor(q[:, qperm]), ab.tensor(k),
                                          ab.tensor(v)).numpy()  # fmt: skip
    np.testing.assert_allclose(rows, out[:, qperm], rtol=1e-4, atol=1e-5)


@given(data=st.data(), n_in=st.integers(1, 6), n_out=st.integers(1, 6),
       a=_floats(-3, 3), b=_floats(-3, 3))  # fmt: skip
def test_linear_layers_are_affine(data, n_in, n_out, a, b):
    layer = nn.Linear(n_in, n_out)
    x, y = _array(data, (3, n_in), label="x"), _array(data, (3, n_in), label="y")
    with ab.no_grad():
        f = lambda z: layer(ab.tensor(z)).numpy() - layer.bias.detach().numpy()  # noqa: E731
        combined = f(np.float32(a) * x + np.float32(b) * y)
        np.testing.assert_allclose(combined, a * f(x) + b * f(y), rtol=1e-4, atol=1e-3)


LOSSES = {
    "cross_entropy": (lambda x, t: F.cross_entropy(x, t), "classes"),
    "nll_loss": (lambda x, t: F.nll_loss(x.log_softmax(-1), t), "classes"),
    "mse_loss": (lambda x, t: F.mse_loss(x, t), "values"),
    "l1_loss": (lambda x, t: F.l1_loss(x, t), "values"),
    "huber_loss": (lambda x, t: F.huber_loss(x, t), "values"),
    "bce_with_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t), "probabilities"),
}


@pytest.mark.parametrize("name", LOSSES)
@given(data=st.data(), batch=st.integers(1, 6))
def test_losses_do_not_depend_on_batch_order(name, data, batch):
    loss, kind = LOSSES[name]
    x = _array(data, (batch, 4), label="x")
    if kind == "classes":
        t = data.draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, 3)), label="t")
    else:
        t = _array(data, (batch, 4), 0 if kind == "probabilities" else -10, 1 if kind ==
                   "probabilities" else 10, label="t")  # fmt: skip
    perm = np.array(data.draw(st.permutations(range(batch)), label="perm"))
    straight = loss(ab.tensor(x, requires_grad=True), ab.tensor(t))
    xp = ab.tensor(x[perm], requires_grad=True)
    shuffled = loss(xp, ab.tensor(t[perm]))
    assert shuffled.item() == pytest.approx(straight.item(), rel=1e-5, abs=1e-6)
    shuffled.backward()
    x0 = ab.tensor(x, requires_grad=True)
    loss(x0, ab.tensor(t)).backward()
    np.testing.assert_allclose(xp.grad.numpy(), x0.grad.numpy()[perm], rtol=1e-5, atol=1e-7)
