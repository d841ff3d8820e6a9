"""x[index] and its scatter-add backward, against PyTorch (and NumPy for what torch lacks)."""

import numpy as np
import pytest

import abinitio as ab
from helpers import check_gradients

INDEXES = {
    "int": lambda lib: 1,
    "negative_int": lambda lib: -1,
    "slice": lambda lib: slice(1, 3),
    "int_and_slice": lambda lib: (0, slice(None, None, 2)),
    "none": lambda lib: (None, 1),
    "ellipsis": lambda lib: (Ellipsis, 1),
    "int_array_with_repeats": lambda lib: lib.tensor([0, 2, 0, 0]),
    "two_int_arrays": lambda lib: (lib.tensor([0, 1, 1]), lib.tensor([2, 2, 0])),
    "array_then_slice": lambda lib: (lib.tensor([[0, 0], [2, 1]]), slice(1, None)),
    "bool_mask": lambda lib: lib.tensor([True, False, True]),
    "mixed_slice_array": lambda lib: (slice(None), lib.tensor([3, 3, 1])),
}


@pytest.mark.parametrize("name", INDEXES)
def test_getitem_matches_torch(name, torch):
    a = np.random.default_rng(0).standard_normal((3, 4, 2)).astype(np.float32)
    x, t = ab.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, expected = x[INDEXES[name](ab)], t[INDEXES[name](torch)]
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", INDEXES)
def test_getitem_gradcheck(name):
    a = np.random.default_rng(0).standard_normal((3, 4, 2))
    check_gradients(lambda x: x[INDEXES[name](ab)] * 1.5, [a])


def test_negative_steps_which_torch_lacks():
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = ab.tensor(a, requires_grad=True)
    out = x[::-1, 3:0:-2]
    np.testing.assert_array_equal(out.detach().numpy(), a[::-1, 3:0:-2])
    out.sum().backward()
    expected = np.zeros_like(a)
    expected[:, [3, 1]] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    check_gradients(lambda t: t[::-1, ::-3] ** 2, [a.astype(np.float64)])


def test_repeated_indices_accumulate():
    x = ab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[ab.tensor([2, 2, 2, 0])].sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]


def test_mask_from_a_comparison():
    x = ab.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    x[x > 0].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_bad_index_names_the_operation():
    x = ab.zeros(3)
    with pytest.raises(IndexError, match="getitem.*out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="integer or bool"):
        x[ab.tensor([0.5])]
