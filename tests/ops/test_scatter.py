"""index_add, scatter_add and scatter_reduce: PyTorch parity on hypothesis-drawn shapes,
indices and values (repeats and empty places included), float64 gradchecks, the fast
segment sum against its reference, in-place forms, and errors that name the input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import abinitio as ab
from abinitio.ops import scatter
from helpers import check_gradients, compare_with_torch


@st.composite
def scatter_problems(draw):
    """input (N, F), index (E, F) in [0, N) with repeats and unused places, src (E, F)."""
    n, f, e = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(e, f))
    x = rng.uniform(-2, 2, (n, f)).astype(np.float32)
    src = rng.uniform(-2, 2, (e, f)).astype(np.float32)
    return x, index, src


@given(problem=scatter_problems(), reduce=st.sampled_from(scatter.REDUCTIONS),
       include_self=st.booleans())  # fmt: skip
def test_scatter_reduce_matches_torch_on_drawn_problems(problem, reduce, include_self, torch):
    x, index, src = problem

    def fn(a, b):
        lib_index = (torch.tensor(index) if isinstance(a, torch.Tensor) else ab.tensor(index))
        return a.scatter_reduce(0, lib_index, b, reduce, include_self=include_self)

    compare_with_torch(torch, fn, [x, src], rtol=1e-5, atol=1e-5)


@given(problem=scatter_problems(), reduce=st.sampled_from(("sum", "mean")),
       include_self=st.booleans())  # fmt: skip
def test_scatter_reduce_gradcheck_on_drawn_problems(problem, reduce, include_self):
    x, index, src = problem
    check_gradients(lambda a, b: a.scatter_reduce(0, ab.tensor(index), b, reduce,
                                                  include_self=include_self), [x, src])  # fmt: skip


@given(n=st.integers(1, 6), e=st.integers(0, 9), f=st.integers(1, 3), seed=st.integers(0, 999))
def test_index_add_matches_torch_and_gradcheck(n, e, f, seed, torch):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, e)
    x, src = rng.standard_normal((n, f)), rng.standard_normal((e, f))

    def fn(a, b):
        lib = torch if isinstance(a, torch.Tensor) else ab
        return a.index_add(0, lib.tensor(index), b, alpha=0.5)

    compare_with_torch(torch, fn, [x.astype(np.float32), src.astype(np.float32)])
    check_gradients(fn, [x, src])


def test_repeated_indices_accumulate_and_empty_places_keep_input():
    out = ab.scatter_add(ab.ones(4), 0, ab.tensor([2, 2, 2, 0]), ab.tensor([1.0, 2.0, 3.0, 4.0]))
    assert out.tolist() == [5.0, 1.0, 7.0, 1.0]
    mean = ab.scatter_reduce(ab.ones(3), 0, ab.tensor([1, 1]), ab.tensor([2.0, 4.0]), "mean",
                             include_self=False)  # fmt: skip
    assert mean.tolist() == [1.0, 3.0, 1.0]
    most = ab.scatter_reduce(ab.full((3,), 9.0), 0, ab.tensor([0, 0]), ab.tensor([2.0, 4.0]),
                             "amax", include_self=False)  # fmt: skip
    assert most.tolist() == [4.0, 9.0, 9.0]


def test_ties_share_the_gradient_of_a_maximum():
    src = ab.tensor([3.0, 3.0, 1.0], requires_grad=True)
    ab.scatter_reduce(ab.zeros(1), 0, ab.tensor([0, 0, 0]), src, "amax").sum().backward()
    assert src.grad.tolist() == [0.5, 0.5, 0.0]


def test_an_index_smaller_than_src_uses_only_its_part():
    """torch cannot backward through this case (it expects the gradient in index's shape)."""
    src = ab.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = ab.scatter_add(ab.zeros(2, 2), 0, ab.tensor([[1, 0]]), src)
    assert out.tolist() == [[0.0, 1.0], [0.0, 0.0]]
    out.sum().backward()
    assert src.grad.tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_fast_segment_sum_equals_its_reference():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((1000, 7)).astype(np.float32)
    segments = rng.integers(0, 50, 1000)
    fast = scatter.segment_sum(values, segments, 60)
    reference = scatter._reference_segment_sum(values, segments, 60)
    np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=1e-5)
    assert fast.dtype == np.float32 and not fast[50:].any()


def test_inplace_forms_update_the_tensor():
    x = ab.zeros(3)
    assert x.index_add_(0, ab.tensor([1, 1]), ab.tensor([1.0, 2.0])) is x
    assert x.tolist() == [0.0, 3.0, 0.0]
    x.scatter_add_(0, ab.tensor([0]), ab.tensor([5.0]))
    x.scatter_reduce_(0, ab.tensor([1]), ab.tensor([-1.0]), "amin")
    assert x.tolist() == [5.0, -1.0, 0.0]


def test_inplace_form_refuses_values_that_need_a_gradient():
    with pytest.raises(RuntimeError, match="use the out-of-place index_add"):
        ab.zeros(3).index_add_(0, ab.tensor([0]), ab.ones(1, requires_grad=True))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ab.index_add(ab.zeros(3), 0, ab.tensor([0.0]), ab.ones(1)), "integer"),
        (lambda: ab.index_add(ab.zeros(3), 0, ab.tensor([3]), ab.ones(1)), "index 3 is out"),
        (lambda: ab.index_add(ab.zeros(3), 0, ab.tensor([-1]), ab.ones(1)), "index -1 is out"),
        (lambda: ab.index_add(ab.zeros(3, 2), 0, ab.tensor([0]), ab.ones(1, 3)),
         r"source of shape \(1, 2\)"),
        (lambda: ab.scatter_add(ab.zeros(3), 0, ab.tensor([[0]]), ab.ones(1, 1)),
         "same number of dims"),
        (lambda: ab.scatter_reduce(ab.zeros(3), 0, ab.tensor([0]), ab.ones(1), "max"),
         "reduce must be one of"),
    ],
)  # fmt: skip
def test_bad_input_names_what_was_expected(call, message):
    with pytest.raises((ValueError, IndexError), match=message):
        call()
