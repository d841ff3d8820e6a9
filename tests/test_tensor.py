"""Tensor: dtypes, properties, conversions, operators, in-place rules, PyTorch semantics."""

import numpy as np
import pytest

import abinitio as ab


def test_float_input_becomes_float32_unless_asked():
    assert ab.tensor([1.0, 2.0]).dtype == ab.float32
    assert ab.tensor(np.zeros(3)).dtype == ab.float32  # NumPy's float64
    assert ab.tensor(np.zeros(3), dtype=ab.float64).dtype == ab.float64
    assert ab.tensor(2.5).dtype == ab.float32
    assert ab.tensor([1, 2]).dtype == ab.int64
    assert ab.tensor([True, False]).dtype == ab.bool
    assert ab.from_numpy(np.zeros(3)).dtype == ab.float64


def test_tensor_copies_its_input():
    a = np.ones(3, dtype=np.float32)
    t = ab.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0
    shared = ab.from_numpy(a)
    a[1] = 7
    assert shared[1].item() == 7.0


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ab.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        ab.arange(3).requires_grad_()


def test_properties():
    t = ab.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.numel() == 24
    assert len(t) == 2 and t.device == "cpu" and t.is_leaf and t.grad_fn is None
    assert [row.shape for row in t] == [(3, 4), (3, 4)]


def test_conversions():
    t = ab.tensor([[1.5, 2.0]])
    assert t.tolist() == [[1.5, 2.0]]
    assert ab.tensor(3.5).item() == 3.5 and float(ab.tensor([2.0])) == 2.0
    assert isinstance(t.numpy(), np.ndarray)
    assert np.asarray(t).dtype == np.float32
    with pytest.raises(ValueError, match="2 elements"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ab.tensor([1.0, 2.0]))


def test_numpy_of_a_tensor_requiring_grad_asks_for_detach():
    t = ab.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 1.0]


def test_repr_shows_grad_fn_or_requires_grad():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "dtype=float64" in repr(ab.zeros(1, dtype=ab.float64))


def test_ndarray_on_the_left_gives_a_tensor():
    t = ab.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([2.0, 3.0]) * t
    assert isinstance(out, ab.Tensor) and out.dtype == ab.float32 and out.requires_grad


def test_comparisons_are_boolean_and_not_differentiable():
    x = ab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == ab.bool and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == x).all().item() and not (x != x).any().item()
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]


def test_axis_is_an_alias_for_dim():
    x = ab.randn(3, 4)
    np.testing.assert_array_equal(x.sum(axis=1).numpy(), x.sum(dim=1).numpy())
    np.testing.assert_array_equal(x.mean(axis=0).numpy(), x.mean(0).numpy())
    with pytest.raises(TypeError, match="not both"):
        x.sum(dim=0, axis=1)


def test_max_with_dim_returns_values_and_indices(torch):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.5]], dtype=np.float32)
    values, indices = ab.tensor(a).max(dim=1)
    expected = torch.tensor(a).max(dim=1)
    assert values.tolist() == expected.values.tolist()
    assert indices.tolist() == expected.indices.tolist() and indices.dtype == ab.int64
    assert ab.tensor(a).max(1).indices.tolist() == [1, 2]
    assert ab.tensor(a).argmax().item() == 5 and ab.tensor(a).argmin(dim=0).tolist() == [0, 1, 0]


def test_full_max_splits_ties_evenly_as_torch_does(torch):
    a = np.array([1.0, 3.0, 3.0, 0.0], dtype=np.float32)
    x, t = ab.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    x.max().backward()
    t.max().backward()
    assert x.grad.tolist() == t.grad.tolist() == [0.0, 0.5, 0.5, 0.0]


def test_maximum_splits_ties_evenly_as_torch_does(torch):
    a = np.array([1.0, 2.0], dtype=np.float32)
    b = np.array([1.0, 3.0], dtype=np.float32)
    xa, xb = ab.tensor(a, requires_grad=True), ab.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    xa.maximum(xb).sum().backward()
    torch.maximum(ta, tb).sum().backward()
    assert xa.grad.tolist() == ta.grad.tolist() and xb.grad.tolist() == tb.grad.tolist()


def test_max_along_dim_sends_the_gradient_to_the_arg_max():
    x = ab.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    assert x.grad.sum().item() == 1.0 and x.grad[0, indices[0].item()].item() == 1.0


def test_var_and_std_are_unbiased_by_default():
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    x = ab.tensor(a)
    np.testing.assert_allclose(x.var().item(), a.var(ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.var(unbiased=False).item(), a.var(), rtol=1e-5)
    np.testing.assert_allclose(x.var(1, correction=2).numpy(), a.var(1, ddof=2), rtol=1e-5)
    np.testing.assert_allclose(x.std(0).numpy(), a.std(0, ddof=1), rtol=1e-5)
    with pytest.raises(TypeError):
        x.var(unbiased=True, correction=0)


def test_clamp_where_permute_signatures():
    x = ab.tensor([-2.0, 0.5, 3.0])
    assert x.clamp(min=-1).tolist() == [-1.0, 0.5, 3.0]
    assert x.clamp(max=1.0).tolist() == [-2.0, 0.5, 1.0]
    assert ab.where(x > 0, x, 0.0).tolist() == [0.0, 0.5, 3.0]
    assert ab.where(x > 0, 1.0, -1.0).tolist() == [-1.0, 1.0, 1.0]
    y = ab.zeros(2, 3, 4)
    assert y.permute(2, 0, 1).shape == y.permute((2, 0, 1)).shape == (4, 2, 3)
    with pytest.raises(ValueError, match="clamp"):
        x.clamp()


def test_clamp_with_tensor_bounds(torch):
    a = np.array([-2.0, 0.5, 3.0], dtype=np.float32)
    lo = np.array([-1.0, 1.0, 0.0], dtype=np.float32)
    x, low = ab.tensor(a, requires_grad=True), ab.tensor(lo, requires_grad=True)
    t, tlow = torch.tensor(a, requires_grad=True), torch.tensor(lo, requires_grad=True)
    x.clamp(min=low).sum().backward()
    torch.clamp(t, min=tlow).sum().backward()
    assert x.grad.tolist() == t.grad.tolist() and low.grad.tolist() == tlow.grad.tolist()


def test_integer_division_gives_float32():
    assert (ab.tensor([3, 4]) / 2).dtype == ab.float32
    assert (ab.tensor([3, 4]) / ab.tensor([2, 2])).tolist() == [1.5, 2.0]


def test_dtype_conversion_methods():
    x = ab.tensor([1.7, -2.2], requires_grad=True)
    assert x.double().dtype == ab.float64 and x.long().tolist() == [1, -2]
    assert x.to(ab.float64).requires_grad and x.to("cpu") is x
    assert x.to(ab.zeros(1, dtype=ab.float64)).dtype == ab.float64
    with pytest.raises(ValueError, match="unknown device"):
        ab.backend.to_device(x.array, "tpu")


def test_inplace_on_a_leaf_requiring_grad_needs_no_grad():
    w = ab.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1)
    original = w
    with ab.no_grad():
        w -= ab.tensor([1.0, 2.0, 3.0])
        w *= 2
    assert w is original and w.tolist() == [0.0, -2.0, -4.0]


def test_inplace_on_a_graph_tensor_is_refused():
    x = ab.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="part of a graph"):
        y.zero_()
    with pytest.raises(RuntimeError, match="part of a graph"):
        y[0] = 5.0


def test_setitem_and_fill_on_plain_tensors():
    t = ab.zeros(2, 3)
    t[0, 1] = 4.0
    t[1] = ab.tensor([1.0, 2.0, 3.0])
    assert t.tolist() == [[0.0, 4.0, 0.0], [1.0, 2.0, 3.0]]
    assert t.fill_(2.0).sum().item() == 12.0
    assert t.zero_().sum().item() == 0.0


def test_split_and_chunk_sizes(torch):
    a = np.arange(14, dtype=np.float32).reshape(7, 2)
    ours = [p.shape for p in ab.tensor(a).chunk(3)]
    theirs = [tuple(p.shape) for p in torch.tensor(a).chunk(3)]
    assert ours == theirs
    assert [p.shape for p in ab.tensor(a).split([2, 5])] == [(2, 2), (5, 2)]


def test_pad_takes_the_last_dim_first(torch):
    a = np.ones((1, 2, 3), dtype=np.float32)
    ours = ab.nn.functional.pad(ab.tensor(a), (1, 0, 2, 1), value=7.0)
    theirs = torch.nn.functional.pad(torch.tensor(a), (1, 0, 2, 1), value=7.0)
    assert ours.shape == tuple(theirs.shape) == (1, 5, 4)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_data_is_a_tensor_sharing_memory_that_records_no_graph(torch):
    # the idioms of PyTorch programs: p.data.fill_, p.data.add_(g, alpha=-lr), p.data = t
    w = ab.nn.Parameter(ab.tensor([1.0, 2.0, 3.0]))
    w_t = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
    for p in (w, w_t):
        assert type(p.data).__name__ == "Tensor" and not p.data.requires_grad
        assert p.data.grad_fn is None
        p.data.add_(p.data * 2, alpha=-0.5)  # no no_grad needed: .data is outside autograd
    np.testing.assert_array_equal(w.array, w_t.detach().numpy())
    assert w.data.array is w.array  # shares memory
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.array, 2 * w.array)
    w.data = ab.zeros(2, dtype=ab.float64)  # replaces the values, shape and dtype may change
    assert w.shape == (2,) and w.dtype == np.float64 and w.requires_grad
    with pytest.raises(TypeError, match="must be set to a Tensor.*assign .array"):
        w.data = np.zeros(2)
    with pytest.raises(TypeError):
        w_t.data = np.zeros(2)
