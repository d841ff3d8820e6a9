"""conv1d, conv2d and conv_transpose2d against PyTorch (forward, input, weight and bias
gradients) over a grid of strides, paddings, dilations and groups; float64 gradchecks; the
composed reference; and the errors for bad arguments."""

import itertools

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.ops import conv
from abinitio.ops.conv import _reference_conv2d
from helpers import check_gradients, compare_with_torch, random_inputs

RTOL, ATOL = 1e-4, 2e-5
# torch warns that it pads a copy for 'same' with even kernels; it is the same maths
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """On tiny tensors torch's OpenMP threads only spin against NumPy's BLAS threads (a
    dilated conv_transpose2d then takes 25 ms instead of 0.5 ms), so use one here."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _torch_f():
    import torch.nn.functional as TF

    return TF


def _f(t):
    return _torch_f() if type(t).__module__.startswith("torch") else F


def _conv_shapes(c_in, c_out, groups, size, kernel):
    """input (2, C_in, *size), weight (C_out, C_in/groups, *kernel), bias (C_out,)."""
    return [(2, c_in) + size, (c_out, c_in // groups) + kernel, (c_out,)]


# groups: (C_in, C_out, groups) -> plain, two groups, depthwise with multiplier 2
GROUPS = {"g1": (3, 4, 1), "g2": (4, 6, 2), "depthwise": (4, 8, 4)}
STRIDES = [1, 2, (2, 1)]
PADDINGS = [0, 1, (1, 2), "same", "valid"]
DILATIONS = [1, 2, (1, 2)]
SIZES = {"odd": ((7, 9), (3, 3)), "even": ((8, 10), (2, 4))}
GRID_2D = [
    case
    for case in itertools.product(STRIDES, PADDINGS, DILATIONS, GROUPS, SIZES)
    if not (case[1] == "same" and case[0] != 1)  # PyTorch: 'same' needs stride 1
]


@pytest.mark.parametrize("stride, padding, dilation, groups, size", GRID_2D, ids=str)
def test_conv2d_matches_torch(stride, padding, dilation, groups, size, torch):
    c_in, c_out, g = GROUPS[groups]
    image, kernel = SIZES[size]
    arrays = random_inputs(_conv_shapes(c_in, c_out, g, image, kernel))
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=g)
    fn = lambda x, w, b: _f(x).conv2d(x, w, b, **options)  # noqa: E731
    compare_with_torch(torch, fn, arrays, rtol=RTOL, atol=ATOL)


GRID_1D = [
    case
    for case in itertools.product([1, 2, 3], [0, 2, "same", "valid"], [1, 2], GROUPS, [9, 10])
    if not (case[1] == "same" and case[0] != 1)
]


@pytest.mark.parametrize("stride, padding, dilation, groups, length", GRID_1D, ids=str)
def test_conv1d_matches_torch(stride, padding, dilation, groups, length, torch):
    c_in, c_out, g = GROUPS[groups]
    arrays = random_inputs(_conv_shapes(c_in, c_out, g, (length,), (3,)))
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=g)
    fn = lambda x, w, b: _f(x).conv1d(x, w, b, **options)  # noqa: E731
    compare_with_torch(torch, fn, arrays, rtol=RTOL, atol=ATOL)


GRID_TRANSPOSE = [
    case
    for case in itertools.product(
        [1, 2, (2, 3)], [0, 1, (1, 2)], [0, 1], [1, 2], ["g1", "g2"], ["odd", "even"]
    )
    if case[2] < max(np.max(case[0]), case[3])  # output_padding < stride or dilation
]


@pytest.mark.parametrize(
    "stride, padding, output_padding, dilation, groups, size", GRID_TRANSPOSE, ids=str
)
def test_conv_transpose2d_matches_torch(
    stride, padding, output_padding, dilation, groups, size, torch
):
    c_in, c_out, g = GROUPS[groups]
    image, kernel = SIZES[size]
    # weight (C_in, C_out/groups, kH, kW), bias (C_out,)
    shapes = [(2, c_in) + image, (c_in, c_out // g) + kernel, (c_out,)]
    options = dict(
        stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=g
    )
    fn = lambda x, w, b: _f(x).conv_transpose2d(x, w, b, **options)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs(shapes), rtol=RTOL, atol=ATOL)


def test_conv_transpose2d_depthwise_and_output_padding_below_dilation(torch):
    shapes = [(2, 4, 5, 6), (4, 1, 3, 3), (4,)]
    options = dict(stride=2, dilation=3, output_padding=2, groups=4)
    fn = lambda x, w, b: _f(x).conv_transpose2d(x, w, b, **options)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs(shapes), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op", ["conv1d", "conv2d", "conv_transpose2d"])
def test_no_bias_and_unbatched_input_match_torch(op, torch):
    dims = 1 if op == "conv1d" else 2
    shapes = [(3,) + (6,) * dims, (3, 3) + (3,) * dims]  # unbatched (C, *size)
    fn = lambda x, w: getattr(_f(x), op)(x, w, stride=2, padding=1)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs(shapes), rtol=RTOL, atol=ATOL)


def test_only_the_weight_needs_a_gradient(torch, monkeypatch):
    """No input gradient is computed (not merely dropped) when the input needs none."""

    def refuse(*args):
        raise AssertionError("the input gradient was computed for an input that needs none")

    monkeypatch.setattr(conv, "_input_gradient", refuse)
    x_data, w_data = random_inputs([(2, 3, 6, 6), (4, 3, 3, 3)])
    x, w = ab.tensor(x_data), ab.tensor(w_data, requires_grad=True)
    w_torch = torch.tensor(w_data, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    _torch_f().conv2d(torch.tensor(x_data), w_torch, padding=1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), w_torch.grad.numpy(), rtol=RTOL, atol=1e-4)


GRADCHECKS = {
    "conv2d": ([(2, 4, 5, 6), (4, 2, 3, 2), (4,)], dict(stride=(2, 1), padding=1, groups=2)),
    "conv2d_dilated_same": ([(1, 2, 5, 5), (3, 2, 2, 3), (3,)], dict(padding="same", dilation=2)),
    "conv1d": ([(2, 3, 7), (2, 3, 3), (2,)], dict(stride=2, padding=1, dilation=2)),
    "conv_transpose2d": (
        [(2, 4, 3, 4), (4, 1, 3, 2), (2,)],
        dict(stride=2, padding=1, output_padding=1, groups=2),
    ),
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradcheck_float64(name):
    shapes, options = GRADCHECKS[name]
    op = getattr(F, name.split("_dilated")[0])
    check_gradients(lambda x, w, b: op(x, w, b, **options), random_inputs(shapes, dtype=np.float64))


def test_float64_stays_float64():
    x = ab.randn(1, 2, 5, 5, dtype=ab.float64, requires_grad=True)
    w = ab.randn(3, 2, 3, 3, dtype=ab.float64, requires_grad=True)
    y = F.conv2d(x, w)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float64


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(stride=2, padding=(1, 2)),
        dict(padding="same", dilation=(2, 1)),
        dict(stride=(1, 2), dilation=2, groups=2),
        dict(groups=4),
    ],
    ids=str,
)
def test_reference_conv2d_agrees_with_the_fast_one(options):
    c_out = 8 if options.get("groups") == 4 else 6
    shapes = _conv_shapes(4, c_out, options.get("groups", 1), (7, 8), (3, 3))
    fast = [ab.tensor(a, requires_grad=True) for a in random_inputs(shapes)]
    slow = [ab.tensor(a, requires_grad=True) for a in random_inputs(shapes)]
    y_fast, y_slow = F.conv2d(*fast, **options), _reference_conv2d(*slow, **options)
    np.testing.assert_allclose(
        y_fast.detach().numpy(), y_slow.detach().numpy(), rtol=RTOL, atol=ATOL
    )
    weights = ab.tensor(np.random.default_rng(3).standard_normal(y_fast.shape))
    (y_fast * weights).sum().backward()
    (y_slow * weights).sum().backward()
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("block_numbers", [1 << 18, 2000, 40], ids=["whole", "rows", "pieces"])
@pytest.mark.parametrize(
    "c_in, c_out, kernel, options",
    [
        (4, 6, (3, 3), dict(padding=1)),  # dL/dx as a convolution of g
        (2, 8, (5, 5), dict()),  # dL/dx by col2im: many more outputs than inputs
        (4, 6, (3, 3), dict(stride=2, padding=1, groups=2)),  # col2im, strided
    ],
    ids=["same", "valid", "strided"],
)
def test_blocks_and_input_gradient_routes_agree_with_the_reference(
    monkeypatch, block_numbers, c_in, c_out, kernel, options
):
    """Conv2d runs im2col and its GEMMs on blocks of output positions sized by
    ``im2col.BLOCK_NUMBERS`` (whole output rows, or pieces of one row when a row is too
    large) and takes dL/dx by one of two routes: every split and both routes give the
    composed reference's numbers."""
    from abinitio.ops import im2col

    monkeypatch.setattr(im2col, "BLOCK_NUMBERS", block_numbers)
    shapes = _conv_shapes(c_in, c_out, options.get("groups", 1), (9, 10), kernel)
    shapes[0] = (3,) + shapes[0][1:]
    fast = [ab.tensor(a, requires_grad=True) for a in random_inputs(shapes)]
    slow = [ab.tensor(a, requires_grad=True) for a in random_inputs(shapes)]
    y_fast, y_slow = F.conv2d(*fast, **options), _reference_conv2d(*slow, **options)
    np.testing.assert_allclose(
        y_fast.detach().numpy(), y_slow.detach().numpy(), rtol=RTOL, atol=ATOL
    )
    weights = ab.tensor(np.random.default_rng(4).standard_normal(y_fast.shape))
    (y_fast * weights).sum().backward()
    (y_slow * weights).sum().backward()
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)


def _zeros(*shape):
    return ab.zeros(*shape)


# (what the message must say, the call that raises it)
BAD_CALLS = [
    (
        r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(28, 28\)",
        lambda: F.conv2d(_zeros(28, 28), _zeros(6, 1, 5, 5)),
    ),
    (
        r"conv2d: input has 3 channels but weight expects 1 \(input shape \(3, 28, 28\), read "
        r"as one unbatched sample \(C, H, W\); weight shape \(6, 1, 5, 5\), groups=1\)",
        lambda: F.conv2d(_zeros(3, 28, 28), _zeros(6, 1, 5, 5)),
    ),
    (
        r"conv2d: input has 3 channels but weight expects 2 \(input shape \(1, 3, 8, 8\); "
        r"weight shape \(6, 1, 3, 3\), groups=2\)",
        lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(6, 1, 3, 3), groups=2),
    ),
    (
        r"conv2d: kernel \(5, 5\) \(dilated \(5, 5\)\) is larger than the padded input \(4, 4\)",
        lambda: F.conv2d(_zeros(1, 1, 4, 4), _zeros(6, 1, 5, 5)),
    ),
    (
        r"conv2d: kernel \(5, 5\) \(dilated \(9, 5\)\) is larger than the padded input \(8, 10\)",
        lambda: F.conv2d(_zeros(1, 1, 6, 8), _zeros(6, 1, 5, 5), padding=1, dilation=(2, 1)),
    ),
    (
        r"conv2d: expected a 4-D weight \(C_out, C_in/groups, kH, kW\), got shape \(6, 5, 5\)",
        lambda: F.conv2d(_zeros(1, 1, 8, 8), _zeros(6, 5, 5)),
    ),
    (
        r"conv2d: groups=2 must divide the 5 output channels",
        lambda: F.conv2d(_zeros(1, 4, 8, 8), _zeros(5, 2, 3, 3), groups=2),
    ),
    (
        r"conv2d: expected a bias of shape \(6,\), one per output channel, got shape \(5,\)",
        lambda: F.conv2d(_zeros(1, 1, 8, 8), _zeros(6, 1, 3, 3), _zeros(5)),
    ),
    (
        r"conv2d: stride must be an int or a tuple of 2 ints, each >= 1; got 0",
        lambda: F.conv2d(_zeros(1, 1, 8, 8), _zeros(6, 1, 3, 3), stride=0),
    ),
    (
        r"conv2d: padding='same' is not supported for strided convolutions \(stride \(2, 2\)\)",
        lambda: F.conv2d(_zeros(1, 1, 8, 8), _zeros(6, 1, 3, 3), stride=2, padding="same"),
    ),
    (
        r"conv2d: padding must be an int, a tuple, 'same' or 'valid'; got 'full'",
        lambda: F.conv2d(_zeros(1, 1, 8, 8), _zeros(6, 1, 3, 3), padding="full"),
    ),
    (
        r"conv1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape \(1, 2, 3, 4\)",
        lambda: F.conv1d(_zeros(1, 2, 3, 4), _zeros(4, 2, 3)),
    ),
    (
        r"conv1d: kernel \(5,\) \(dilated \(9,\)\) is larger than the padded input \(8,\)",
        lambda: F.conv1d(_zeros(1, 2, 6), _zeros(4, 2, 5), padding=1, dilation=2),
    ),
    (
        r"conv_transpose2d: input has 3 channels but weight expects 4",
        lambda: F.conv_transpose2d(_zeros(1, 3, 5, 5), _zeros(4, 2, 3, 3)),
    ),
    (
        r"conv_transpose2d: output_padding \(2, 2\) must be smaller than either the stride "
        r"\(2, 2\) or the dilation \(1, 1\)",
        lambda: F.conv_transpose2d(
            _zeros(1, 4, 5, 5), _zeros(4, 2, 3, 3), stride=2, output_padding=2
        ),
    ),
    (
        r"conv_transpose2d: the output size \(-1, -1\) is not positive",
        lambda: F.conv_transpose2d(_zeros(1, 4, 1, 1), _zeros(4, 2, 3, 3), padding=2),
    ),
]


@pytest.mark.parametrize("match, call", BAD_CALLS, ids=[m[:40] for m, _ in BAD_CALLS])
def test_bad_arguments_raise_errors_that_name_the_op_and_the_values(match, call):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_contiguous_input_matches_torch(torch):
    shapes = [(2, 3, 9, 7), (4, 3, 3, 3)]
    fn = lambda x, w: _f(x).conv2d(x.transpose(2, 3), w, stride=2).transpose(1, 3)  # noqa: E731
    compare_with_torch(torch, fn, random_inputs(shapes), rtol=RTOL, atol=ATOL)
