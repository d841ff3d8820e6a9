"""Bad input gets a clear error that names the operation and what it received."""

import pytest

import abinitio as ab


def test_broadcast_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\), \(4,\)"):
        ab.zeros(2, 3) + ab.zeros(4)
    with pytest.raises(ValueError, match=r"mul: .*\(3,\), \(2,\)"):
        ab.ones(3, requires_grad=True) * ab.ones(2)


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = ab.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar output.*shape \(3,\).*gradient="):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\)"):
        y.backward(ab.ones(2))


def test_backward_without_a_graph():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ab.ones(1).sum().backward()


def test_bad_reshape_and_dims():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape array of size 6"):
        ab.zeros(2, 3).reshape(4, 2)
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range for a tensor of 2"):
        ab.zeros(2, 3).sum(2)
    with pytest.raises(ValueError, match="permute"):
        ab.zeros(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match="expand"):
        ab.zeros(2, 3).expand(4, 3)
    with pytest.raises(ValueError, match=r"cat: all tensors need the same number of dims"):
        ab.cat([ab.zeros(2), ab.zeros(2, 2)])
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape"):
        ab.stack([ab.zeros(2), ab.zeros(3)])


def test_mean_of_integers_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"mean: .*int64.*\.float\(\)"):
        ab.arange(3).mean()


def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"linear: input has 3 features .* expects 4"):
        ab.nn.functional.linear(ab.zeros(2, 3), ab.zeros(5, 4))


def test_non_numeric_data():
    with pytest.raises(TypeError, match="not numeric"):
        ab.tensor(["a", object()])
