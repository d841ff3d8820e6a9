"""Hypothesis: reductions and softmax over random shapes and dims, against PyTorch and
float64 finite differences."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import check_gradients, compare_with_torch, random_inputs

REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "max": lambda x, d, k: x.max(d, keepdim=k)[0],
    "min": lambda x, d, k: x.min(d, keepdim=k)[0],
    "prod": lambda x, d, k: x.prod(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "softmax": lambda x, d, k: x.softmax(d),
    "log_softmax": lambda x, d, k: x.log_softmax(d),
}


@st.composite
def shape_and_dim(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, dim, draw(st.booleans()), draw(st.integers(0, 2**16))


def float32_inputs(name, shape, seed):
    """Random values in [0.5, 1.5). For var and std, distinct values spread over the range:
    their gradients divide by the spread, and for nearly equal float32 values (a std of
    1e-3, say) both frameworks' answers are rounding noise at the 1e-4 level."""
    rng = np.random.default_rng(seed)
    if name in ("var", "std"):
        values = rng.permutation(np.linspace(0.5, 1.5, math.prod(shape)))
        return [values.reshape(shape).astype(np.float32)]
    return random_inputs([shape], (0.5, 1.5), rng=rng)


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=shape_and_dim())
def test_matches_torch(name, case, torch):
    shape, dim, keepdim, seed = case
    fn = REDUCTIONS[name]
    arrays = float32_inputs(name, shape, seed)
    compare_with_torch(torch, lambda x: fn(x, dim, keepdim), arrays, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=shape_and_dim())
def test_gradcheck(name, case):
    shape, dim, keepdim, seed = case
    fn = REDUCTIONS[name]
    arrays = random_inputs([shape], (0.5, 1.5), np.float64, np.random.default_rng(seed))
    check_gradients(lambda x: fn(x, dim, keepdim), arrays)


@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), data=st.data())
def test_permute_random_orders(shape, data, torch):
    order = data.draw(st.permutations(range(len(shape))))
    arrays = random_inputs([shape])
    compare_with_torch(torch, lambda x: x.permute(*order) * 2, arrays)


def test_prod_with_zeros_matches_torch(torch):
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    compare_with_torch(torch, lambda x: x.prod(1), [a])
    compare_with_torch(torch, lambda x: x.prod(), [a[:1]])
