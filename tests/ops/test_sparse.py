"""Sparse COO matrices and sparse @ dense: PyTorch parity in values and in the gradients of
both the dense operand and the stored values (repeated coordinates summed), on drawn
matrices; float64 gradchecks; the CSR fast path against the gather-scatter reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import abinitio as ab
from abinitio.ops import sparse
from helpers import check_gradients, compare_with_torch


@st.composite
def sparse_problems(draw):
    m, k, f = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    nnz = draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    indices = np.stack([rng.integers(0, m, nnz), rng.integers(0, k, nnz)])
    values = rng.uniform(-2, 2, nnz).astype(np.float32)
    dense = rng.uniform(-2, 2, (k, f)).astype(np.float32)
    return indices, values, dense, (m, k)


@given(problem=sparse_problems())
def test_sparse_mm_matches_torch_in_values_and_both_gradients(problem, torch):
    indices, values, dense, size = problem

    def fn(v, d):
        lib = torch if isinstance(v, torch.Tensor) else ab
        return lib.sparse.mm(lib.sparse_coo_tensor(lib.tensor(indices), v, size), d)

    compare_with_torch(torch, fn, [values, dense], rtol=1e-5, atol=1e-5)


@given(problem=sparse_problems())
def test_sparse_mm_gradcheck(problem):
    indices, values, dense, size = problem
    check_gradients(lambda v, d: ab.sparse_coo_tensor(indices, v, size) @ d, [values, dense])


def test_fast_path_equals_the_gather_scatter_reference():
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 40, 300), rng.integers(0, 30, 300)  # many repeats
    values = rng.standard_normal(300).astype(np.float32)
    dense = rng.standard_normal((30, 5)).astype(np.float32)
    a = ab.sparse_coo_tensor(np.stack([rows, cols]), values, (40, 30))
    expected = sparse._reference_spmm(rows, cols, values, dense, 40)
    np.testing.assert_allclose((a @ ab.tensor(dense)).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a.to_dense().numpy() @ dense, expected, rtol=1e-5, atol=1e-5)


def test_repeated_coordinates_are_summed_and_coalesce_merges_them():
    a = ab.sparse_coo_tensor([[1, 0, 1], [0, 1, 0]], [1.0, 2.0, 3.0], (2, 2))
    assert not a.is_coalesced() and a._nnz() == 3
    c = a.coalesce()
    assert c.is_coalesced() and c.indices().tolist() == [[0, 1], [1, 0]]
    assert c.values().tolist() == [2.0, 4.0]
    assert a.to_dense().tolist() == [[0.0, 2.0], [4.0, 0.0]]
    assert a.t().to_dense().tolist() == [[0.0, 4.0], [2.0, 0.0]]


def test_learned_values_receive_gradients_through_coalesce():
    v = ab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = ab.sparse_coo_tensor([[1, 0, 1], [0, 1, 0]], v, (2, 2)).coalesce()
    (a @ ab.tensor([[1.0], [10.0]])).sum().backward()
    assert v.grad.tolist() == [1.0, 10.0, 1.0]


def test_size_is_inferred_and_spmm_is_an_alias():
    a = ab.sparse_coo_tensor([[0, 2], [1, 0]], [1.0, 5.0])
    assert a.shape == (3, 2) and a.size(0) == 3 and a.layout == "sparse_coo"
    assert ab.spmm(a, ab.ones(2, 1)).tolist() == [[1.0], [0.0], [5.0]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ab.sparse_coo_tensor([[0.0, 1.0], [0.0, 1.0]], [1.0, 2.0]), "int64"),
        (lambda: ab.sparse_coo_tensor([0, 1], [1.0, 2.0]), r"shape \(2, nnz\)"),
        (lambda: ab.sparse_coo_tensor([[0, 1], [0, 1]], [1.0], (2, 2)), r"values must have"),
        (lambda: ab.sparse_coo_tensor([[0, 2], [0, 1]], [1.0, 2.0], (2, 2)), "must lie in"),
        (lambda: ab.sparse_coo_tensor([[0, -1], [0, 1]], [1.0, 2.0], (2, 2)), "must lie in"),
        (lambda: ab.sparse.mm(ab.sparse_coo_tensor([[0], [0]], [1.0], (2, 3)), ab.ones(2, 1)),
         r"shape \(3, F\)"),
        (lambda: ab.sparse.mm(ab.ones(2, 2), ab.ones(2, 1)), "must be sparse"),
    ],
)  # fmt: skip
def test_bad_input_names_what_was_expected(call, message):
    with pytest.raises((ValueError, IndexError, TypeError), match=message):
        call()
