"""matmul in every case PyTorch allows, and the fused linear op."""

import tracemalloc

import numpy as np
import pytest

import abinitio as ab
from helpers import check_gradients, compare_with_torch, random_inputs

CASES = [
    ((3,), (3,)),  # dot product
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),  # batched @ matrix: one folded GEMM
    ((2, 3), (5, 3, 4)),  # matrix @ batched
    ((5, 2, 3), (5, 3, 4)),  # batched @ batched
    ((1, 2, 3), (5, 3, 4)),  # broadcast batch
    ((5, 1, 2, 3), (4, 3, 2)),  # broadcast batch, 4-d
    ((3,), (5, 3, 4)),  # vector @ batched
    ((5, 2, 3), (3,)),  # batched @ vector
]


@pytest.mark.parametrize("shapes", CASES, ids=[f"{a}@{b}" for a, b in CASES])
def test_matmul_matches_torch(shapes, torch):
    compare_with_torch(torch, lambda x, y: x @ y, random_inputs(shapes), atol=1e-5)


@pytest.mark.parametrize("shapes", CASES, ids=[f"{a}@{b}" for a, b in CASES])
def test_matmul_gradcheck(shapes):
    check_gradients(lambda x, y: x.matmul(y), random_inputs(shapes, dtype=np.float64))


def test_inner_dimension_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*3 and 4"):
        ab.zeros(2, 3) @ ab.zeros(4, 5)
    with pytest.raises(ValueError, match="at least 1 dim"):
        ab.tensor(2.0) @ ab.zeros(2)
    with pytest.raises(ValueError, match="batch dims"):
        ab.zeros(2, 2, 3) @ ab.zeros(3, 3, 4)


def test_linear_reference_matches_fused():
    x, w, b = (ab.randn(4, 3), ab.randn(5, 3), ab.randn(5))
    from abinitio.ops.linalg import _reference_linear

    np.testing.assert_allclose(
        ab.nn.functional.linear(x, w, b).numpy(), _reference_linear(x, w, b).numpy(), rtol=1e-6
    )


def test_large_matmul_allocates_only_its_result():
    a, b = ab.randn(512, 512), ab.randn(512, 512)
    result_bytes = 512 * 512 * 4
    tracemalloc.start()
    out = a @ b
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.dtype == ab.float32
    assert peak < 1.1 * result_bytes, f"peak {peak} bytes for a {result_bytes}-byte result"
