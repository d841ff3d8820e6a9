"""Every row of the op table: forward and backward against PyTorch, and a float64
gradcheck; elementwise ops on shapes that hypothesis draws and broadcasts."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import abinitio as ab
from helpers import check_gradients, compare_with_torch, random_inputs
from op_db import OPS

IDS = [op.name for op in OPS]
ELEMENTWISE = [op for op in OPS if op.broadcasting]


def _arity(op) -> int:
    return len(op.shapes[0])


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_and_backward_match_torch(op, torch):
    for shapes in op.shapes:
        arrays = random_inputs(shapes, op.domain)
        compare_with_torch(torch, op.fn, arrays, op.rtol, op.atol, torch_fn=op.torch_fn)


GRADCHECKED = [op for op in OPS if op.gradcheck]


@pytest.mark.parametrize("op", GRADCHECKED, ids=[op.name for op in GRADCHECKED])
def test_gradcheck_float64(op):
    for shapes in op.shapes:
        check_gradients(op.fn, random_inputs(shapes, op.domain, dtype=np.float64))


def _shapes(arity):
    if arity == 1:
        return hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,))
    return hnp.mutually_broadcastable_shapes(
        num_shapes=arity, min_dims=0, max_dims=3, min_side=1, max_side=4
    ).map(lambda b: b.input_shapes)


def _values(data, shapes, domain):
    """Arrays whose every value hypothesis draws from the op's domain: the edges, zeros,
    repeated values and ties that a seeded uniform draw almost never produces."""
    low, high = np.float32(domain[0]), np.float32(domain[1])
    if low < domain[0]:  # the nearest float32 inside the domain
        low = np.nextafter(low, np.float32(np.inf))
    if high > domain[1]:
        high = np.nextafter(high, np.float32(-np.inf))
    elements = st.floats(float(low), float(high), width=32, allow_subnormal=False)
    return [data.draw(hnp.arrays(np.float32, shape, elements=elements), label=f"input {i}")
            for i, shape in enumerate(shapes)]  # fmt: skip


@pytest.mark.parametrize("op", ELEMENTWISE, ids=[op.name for op in ELEMENTWISE])
@given(data=st.data())
def test_random_broadcast_shapes_and_values_match_torch(op, data, torch):
    shapes = data.draw(_shapes(_arity(op)), label="shapes")
    arrays = _values(data, shapes, op.domain)
    compare_with_torch(torch, op.fn, arrays, op.rtol, op.atol, torch_fn=op.torch_fn)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=[op.name for op in ELEMENTWISE])
@given(data=st.data())
def test_random_broadcast_shapes_gradcheck(op, data):
    shapes = data.draw(_shapes(_arity(op)), label="shapes")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    arrays = random_inputs(shapes, op.domain, dtype=np.float64, rng=np.random.default_rng(seed))
    check_gradients(op.fn, arrays)


ERROR_CASES = [(op, error) for op in OPS for error in op.error_inputs]


@pytest.mark.parametrize(
    "op, error", ERROR_CASES, ids=[f"{op.name}-{i}" for i, (op, _) in enumerate(ERROR_CASES)]
)
def test_error_inputs_are_refused_with_a_message_that_says_why(op, error):
    arrays = random_inputs(error.shapes, op.domain)
    tensors = [ab.tensor(a, requires_grad=True) for a in arrays]
    with pytest.raises(error.error, match=error.match):
        (error.fn or op.fn)(*tensors)


def test_error_inputs_cover_each_family_of_ops():
    families = {"add", "matmul", "reshape", "softmax", "cat", "conv2d", "cross_entropy",
                "embedding", "getitem_basic", "max_pool2d", "layer_norm"}  # fmt: skip
    assert families <= {op.name for op, _ in ERROR_CASES}


def test_every_primitive_has_a_row():
    covered = {name for op in OPS for name in op.primitives}
    missing = set(ab.ops.PRIMITIVES) - covered
    assert not missing, f"primitives without a row in tests/op_db.py: {sorted(missing)}"
