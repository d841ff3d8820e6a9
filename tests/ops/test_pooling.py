"""Max, average and adaptive average pooling (1-D and 2-D) against PyTorch: forward and
gradient over a grid of kernels, strides, paddings, dilations and rounding modes; ties in
max pooling; returned indices; float64 gradchecks; the composed references; errors."""

import itertools

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.ops.pooling import _reference_avg_pool2d, _reference_max_pool2d
from helpers import check_gradients, compare_with_torch, random_inputs

RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """On tiny tensors torch's OpenMP threads only spin against NumPy's BLAS threads."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _f(t):
    if type(t).__module__.startswith("torch"):
        import torch.nn.functional as TF

        return TF
    return F


KERNELS = [2, 3, (2, 3)]
STRIDES = [None, 1, 2, (1, 2)]
PADDINGS = [0, 1]
SHAPES = {"odd": (2, 3, 7, 9), "even": (2, 3, 8, 6)}
GRID_MAX = list(itertools.product(KERNELS, STRIDES, PADDINGS, [1, 2], [False, True], SHAPES))


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode, shape", GRID_MAX, ids=str)
def test_max_pool2d_matches_torch(kernel, stride, padding, dilation, ceil_mode, shape, torch):
    options = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    fn = lambda x: _f(x).max_pool2d(x, kernel, **options)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs([SHAPES[shape]]), rtol=RTOL, atol=ATOL)


GRID_AVG = list(itertools.product(KERNELS, STRIDES, PADDINGS, [False, True], [True, False], SHAPES))


@pytest.mark.parametrize(
    "kernel, stride, padding, ceil_mode, count_include_pad, shape", GRID_AVG, ids=str
)
def test_avg_pool2d_matches_torch(
    kernel, stride, padding, ceil_mode, count_include_pad, shape, torch
):
    options = dict(
        stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad
    )
    fn = lambda x: _f(x).avg_pool2d(x, kernel, **options)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs([SHAPES[shape]]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("divisor", [1, 3, -2])
def test_avg_pool2d_divisor_override_matches_torch(divisor, torch):
    fn = lambda x: _f(x).avg_pool2d(x, 3, 2, 1, ceil_mode=True, divisor_override=divisor)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs([(2, 3, 7, 8)]), rtol=RTOL, atol=ATOL)


GRID_1D = list(itertools.product([2, 3], [None, 1, 2], [0, 1], [False, True], [7, 8]))


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode, length", GRID_1D, ids=str)
def test_pool1d_matches_torch(kernel, stride, padding, ceil_mode, length, torch):
    arrays = random_inputs([(2, 3, length)])
    options = dict(stride=stride, padding=padding, ceil_mode=ceil_mode)
    max_fn = lambda x: _f(x).max_pool1d(x, kernel, dilation=2 if kernel == 2 else 1, **options)  # noqa: E731
    avg_fn = lambda x: _f(x).avg_pool1d(x, kernel, count_include_pad=padding == 0, **options)  # noqa: E731
    compare_with_torch(torch, max_fn, arrays, rtol=RTOL, atol=ATOL)
    compare_with_torch(torch, avg_fn, arrays, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("options", [dict(), dict(stride=1), dict(stride=1, padding=1)], ids=str)
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(options, torch):
    # few distinct values: most windows hold their maximum more than once
    ties = np.random.default_rng(0).integers(0, 3, size=(2, 3, 6, 7)).astype(np.float32)
    fn = lambda x: _f(x).max_pool2d(x, 3, **options)  # noqa: E731
    compare_with_torch(torch, fn, [ties], rtol=RTOL, atol=ATOL)
    fn_1d = lambda x: _f(x).max_pool1d(x, 2, **options)  # noqa: E731
    compare_with_torch(torch, fn_1d, [ties[0]], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "dims, options",
    [(2, dict(kernel_size=2)), (2, dict(kernel_size=3, stride=2, padding=1, dilation=2)),
     (2, dict(kernel_size=(2, 3), stride=1, ceil_mode=True)), (1, dict(kernel_size=3, padding=1))],
    ids=str,
)  # fmt: skip
def test_max_pool_return_indices_match_torch(dims, options, torch):
    (data,) = random_inputs([(2, 3, 7, 8) if dims == 2 else (2, 3, 9)])
    data[0, 0, 0] = 1.5  # a tie or two
    pool = "max_pool2d" if dims == 2 else "max_pool1d"
    values, indices = getattr(F, pool)(ab.tensor(data), return_indices=True, **options)
    expected = getattr(torch.nn.functional, pool)(
        torch.tensor(data), return_indices=True, **options
    )
    np.testing.assert_array_equal(values.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(indices.numpy(), expected[1].numpy())
    assert indices.dtype == np.int64


ADAPTIVE = [1, 2, 3, (4, 5), (None, 2), (7, 9), (5, 1)]


@pytest.mark.parametrize("output_size", ADAPTIVE, ids=str)
def test_adaptive_avg_pool2d_matches_torch(output_size, torch):
    fn = lambda x: _f(x).adaptive_avg_pool2d(x, output_size)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs([(2, 3, 7, 9)]), rtol=RTOL, atol=ATOL)
    compare_with_torch(torch, fn, random_inputs([(3, 8, 6)]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("output_size", [1, 3, 4, 9], ids=str)
def test_adaptive_avg_pool1d_matches_torch(output_size, torch):
    fn = lambda x: _f(x).adaptive_avg_pool1d(x, output_size)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs([(2, 3, 9)]), rtol=RTOL, atol=ATOL)


def test_unbatched_input_matches_torch(torch):
    arrays = random_inputs([(3, 7, 8)])
    for pool in (F.max_pool2d, F.avg_pool2d):
        fn = lambda x, pool=pool: getattr(_f(x), pool.__name__)(x, 3, 2, 1)  # noqa: E731
        compare_with_torch(torch, fn, arrays, rtol=RTOL, atol=ATOL)


GRADCHECKS = {
    "max_pool2d": lambda x: F.max_pool2d(x, 3, 2, 1, dilation=(1, 2), ceil_mode=True),
    "max_pool2d_overlapping": lambda x: F.max_pool2d(x, (2, 3), stride=1),
    "max_pool1d": lambda x: F.max_pool1d(x, 2, 1, 1),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool1d": lambda x: F.avg_pool1d(x, 3, 2, 1),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
    "adaptive_avg_pool1d": lambda x: F.adaptive_avg_pool1d(x, 4),
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradcheck_float64(name):
    shape = (2, 2, 6) if name.endswith("1d") else (2, 2, 5, 7)
    # distinct values, far apart: finite differences never cross a tie in max pooling
    values = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) / 10.0
    check_gradients(GRADCHECKS[name], [values])


@pytest.mark.parametrize(
    "options", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1, dilation=2)], ids=str
)
def test_references_agree_with_the_fast_pools(options):
    (data,) = random_inputs([(2, 3, 7, 8)])
    for fast, slow in (
        (F.max_pool2d, _reference_max_pool2d),
        (F.avg_pool2d, _reference_avg_pool2d),
    ):
        kwargs = dict(options) if fast is F.max_pool2d else {
            k: v for k, v in options.items() if k != "dilation"
        }  # fmt: skip
        x_fast, x_slow = ab.tensor(data, requires_grad=True), ab.tensor(data, requires_grad=True)
        y_fast, y_slow = fast(x_fast, **kwargs), slow(x_slow, **kwargs)
        np.testing.assert_allclose(y_fast.detach().numpy(), y_slow.detach().numpy(), rtol=1e-6)
        (y_fast * y_fast).sum().backward()
        (y_slow * y_slow).sum().backward()
        np.testing.assert_allclose(x_fast.grad.numpy(), x_slow.grad.numpy(), rtol=1e-5)


BAD_CALLS = [
    (
        ValueError,
        r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(8, 8\)",
        lambda: F.max_pool2d(ab.zeros(8, 8), 2),
    ),
    (
        ValueError,
        r"max_pool2d: kernel \(3, 3\) \(dilated \(5, 5\)\) is larger than the padded input "
        r"\(4, 4\)",
        lambda: F.max_pool2d(ab.zeros(1, 1, 4, 4), 3, dilation=2),
    ),
    (
        ValueError,
        r"avg_pool2d: padding \(2, 2\) must be at most half the kernel \(3, 3\)",
        lambda: F.avg_pool2d(ab.zeros(1, 1, 8, 8), 3, padding=2),
    ),
    (
        ValueError,
        r"max_pool1d: stride must be an int or a tuple of 1 ints, each >= 1; got 0",
        lambda: F.max_pool1d(ab.zeros(1, 1, 8), 2, stride=0),
    ),
    (
        ValueError,
        r"avg_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape \(8,\)",
        lambda: F.avg_pool1d(ab.zeros(8), 2),
    ),
    (
        TypeError,
        r"max_pool2d: expected a floating-point input, got dtype int64",
        lambda: F.max_pool2d(ab.tensor(np.zeros((1, 1, 4, 4), np.int64)), 2),
    ),
    (
        ValueError,
        r"adaptive_avg_pool2d: output_size must be an int or a tuple of 2 non-negative ints "
        r"\(or None\), got \(2, 3, 4\)",
        lambda: F.adaptive_avg_pool2d(ab.zeros(1, 1, 8, 8), (2, 3, 4)),
    ),
    (
        ValueError,
        r"adaptive_avg_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input",
        lambda: F.adaptive_avg_pool1d(ab.zeros(1, 1, 8, 8), 2),
    ),
]


@pytest.mark.parametrize("error, match, call", BAD_CALLS, ids=[m[:40] for _, m, _ in BAD_CALLS])
def test_bad_arguments_raise_errors_that_name_the_op_and_the_values(error, match, call):
    with pytest.raises(error, match=match):
        call()


def test_non_contiguous_input_matches_torch(torch):
    def fn(x):
        x = x.transpose(1, 3)
        return _f(x).max_pool2d(x, 2, 1) + _f(x).avg_pool2d(x, 2, 1)

    compare_with_torch(torch, fn, random_inputs([(2, 5, 6, 3)]), rtol=RTOL, atol=ATOL)


def _batch_innermost(shape, seed=0):
    """A (N, C, H, W) float32 array lying in memory as (C, H, W, N), as a convolution's
    output does (see abinitio.ops.im2col)."""
    n, c, h, w = shape
    data = np.random.default_rng(seed).standard_normal((c, h, w, n), np.float32)
    return data.transpose(3, 0, 1, 2)


def test_max_pool_backward_is_the_same_whatever_memory_order_the_gradient_has():
    x = ab.tensor(_batch_innermost((4, 3, 6, 6)), requires_grad=True)
    assert not x.array.flags.c_contiguous
    g = _batch_innermost((4, 3, 3, 3), seed=1)
    results = []
    for order in (g, np.ascontiguousarray(g)):  # the same numbers in two memory orders
        x.grad = None
        y = F.max_pool2d(x, 2)
        gradient = ab.tensor(order)
        assert gradient.array.flags.c_contiguous == order.flags.c_contiguous  # order kept
        y.backward(gradient)
        results.append(x.grad.numpy())
    expected = np.zeros((4, 3, 6, 6), np.float32)
    windows = x.detach().numpy().reshape(4, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5)
    xs = windows.reshape(4, 3, 3, 3, 4)
    first = xs.argmax(axis=-1)  # each window's first maximum, row-major
    for n, c, u, v in np.ndindex(4, 3, 3, 3):
        i, j = divmod(first[n, c, u, v], 2)
        expected[n, c, 2 * u + i, 2 * v + j] = g[n, c, u, v]
    for result in results:
        np.testing.assert_array_equal(result, expected)
