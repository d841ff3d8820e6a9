"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d``.

A convolution layer holds C_out small filters and slides each over the input, taking a
dot product with the pixels under it at every position: the same few weights are reused
everywhere (weight sharing), and each output sees only a small neighbourhood (local
connectivity). The maths and the fast im2col implementation are in
:mod:`abinitio.ops.conv` and :mod:`abinitio.ops.conv_transpose`; these classes hold the
weights and check their input.
"""

from __future__ import annotations

import math

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter
from abinitio.ops.im2col import conv_padding, int_tuple, span

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_SPATIAL = {1: "L", 2: "H, W"}


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the weight (C_out, C_in/groups, *kernel), the bias,
    PyTorch's default initialisation, the input checks and the repr."""

    dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        name, n = type(self).__name__, self.dims
        _check_channels(name, in_channels, out_channels, groups)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")  # fmt: skip
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", name, minimum=1)
        self.stride = int_tuple(stride, n, "stride", name, minimum=1)
        self.dilation = int_tuple(dilation, n, "dilation", name, minimum=1)
        if not isinstance(padding, str):
            padding = int_tuple(padding, n, "padding", name)
        self.padding = padding
        self.padding_mode = padding_mode
        # validates "same"/"valid" now, and gives the (before, after) pairs forward uses
        self._pads = conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)
        shape = self._weight_shape()
        self.weight = Parameter(creation.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self) -> tuple:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def reset_parameters(self) -> None:
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input) -> None:
        """Raise a ValueError naming this layer unless ``input`` is (N, C_in, *size) or
        (C_in, *size) with the (padded) size at least the dilated kernel."""
        n, spatial = self.dims, _SPATIAL[self.dims]
        expected = f"(N, {self.in_channels}, {spatial}) or ({self.in_channels}, {spatial})"
        if input.ndim not in (n + 1, n + 2) or input.shape[-n - 1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input of shape {expected}, got {input.shape}")
        if self.transposed:
            return
        size = input.shape[-n:]
        padded = tuple(s + a + b for s, (a, b) in zip(size, self._pads))
        dilated = tuple(span(k, d) for k, d in zip(self.kernel_size, self.dilation))
        if any(k > p for k, p in zip(dilated, padded)):
            raise ValueError(
                f"{self!r}: kernel {self.kernel_size} (dilated {dilated}) is larger than the "
                f"padded input {padded}; got input of shape {input.shape}"
            )

    def _pad_input(self, input):
        """For ``padding_mode`` other than zeros: pad explicitly (F.pad takes the last dim
        first) and convolve without padding."""
        widths = [w for pair in reversed(self._pads) for w in pair]
        return F.pad(input, widths, mode=self.padding_mode)

    def _conv_padding(self):
        return self.padding if self.padding_mode == "zeros" else 0

    def extra_repr(self) -> str:
        n = self.dims
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * n) != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


def _check_channels(name: str, in_channels, out_channels, groups) -> None:
    sizes = {"in_channels": in_channels, "out_channels": out_channels, "groups": groups}
    for key, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {key} must be a positive int, got {value!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{name}: groups={groups} must divide in_channels={in_channels} and "
            f"out_channels={out_channels}"
        )


class Conv2d(_ConvNd):
    """2-D convolution over a batch of images: ``out_channels`` filters of size
    C_in/groups x kH x kW, each slid over the (zero-padded) image.

    out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] *
    xp[n, g(o) C_in/groups + c, y sH + i dH, x sW + j dW], with xp the padded input and
    g(o) the group of output channel o (cross-correlation: the kernel is not flipped).

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: (kH, kW), or one int for a square kernel.
        stride: step between windows, an int or (sH, sW).
        padding: an int, (pH, pW), ``"valid"`` (none) or ``"same"`` (output size = input
            size; stride 1 only).
        dilation: spacing between kernel taps, an int or (dH, dW).
        groups: split the channels into this many independent convolutions
            (``groups=in_channels`` is a depthwise convolution).
        bias: learn one additive bias per output channel (default True).
        padding_mode: ``"zeros"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out) or
        (C_out, H_out, W_out), H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, and
        likewise W_out.

    Attributes:
        weight: (C_out, C_in/groups, kH, kW), PyTorch's layout and default initialisation:
            ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            fan_in = C_in/groups * kH * kW.
        bias: (C_out,), from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Example:
        >>> import abinitio as ab
        >>> conv = ab.nn.Conv2d(1, 6, 5, padding=2)
        >>> conv
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        >>> conv.weight.shape, conv(ab.randn(8, 1, 28, 28)).shape
        ((6, 1, 5, 5), (8, 6, 28, 28))

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 2

    def forward(self, input):
        self._check_input(input)
        if self.padding_mode != "zeros":
            input = self._pad_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self._conv_padding(),
                        self.dilation, self.groups)  # fmt: skip


class Conv1d(_ConvNd):
    """1-D convolution over a batch of sequences (signals, audio, text embeddings).

    out[n, o, t] = bias[o] + sum_{c, j} weight[o, c, j] * xp[n, g(o) C_in/groups + c,
    t s + j d], with xp the padded input: :class:`Conv2d` on height-1 images.

    The arguments are those of :class:`Conv2d` (in_channels, out_channels, kernel_size,
    stride, padding, dilation, groups, bias, padding_mode), with one number where Conv2d
    takes a pair.

    Shape:
        input (N, C_in, L) or (C_in, L) -> output (N, C_out, L_out) or (C_out, L_out),
        L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1.

    Attributes:
        weight: (C_out, C_in/groups, k), from ``kaiming_uniform_(a=sqrt(5))``, i.e.
            U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C_in/groups * k.
        bias: (C_out,), from the same distribution.

    Example:
        >>> import abinitio as ab
        >>> conv = ab.nn.Conv1d(1, 25, 5, stride=2, padding=1)
        >>> conv(ab.randn(100, 1, 40)).shape
        (100, 25, 19)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 1

    def forward(self, input):
        self._check_input(input)
        if self.padding_mode != "zeros":
            input = self._pad_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, self._conv_padding(),
                        self.dilation, self.groups)  # fmt: skip


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution: each input pixel adds a weighted copy of the kernel
    into the output, windows ``stride`` apart, so the image grows (decoders, GANs).

    It is the gradient of a :class:`Conv2d` with respect to its input: a
    ``ConvTranspose2d`` with the same kernel, stride, padding and dilation maps that
    convolution's output shape back to its input shape.

    Args:
        in_channels, out_channels, kernel_size, stride, dilation, groups, bias: as in
            :class:`Conv2d`.
        padding: rows and columns removed from each side of the result, int or (pH, pW).
        output_padding: extra rows/columns on the bottom and right, smaller than the
            stride or the dilation (it picks among the input sizes a strided convolution
            maps to the same output size).

    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out),
        H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1, and likewise W_out.

    Attributes:
        weight: (C_in, C_out/groups, kH, kW) (C_in first, as in PyTorch), from
            ``kaiming_uniform_(a=sqrt(5))`` with fan_in = C_out/groups * kH * kW.
        bias: (C_out,), from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Example:
        >>> import abinitio as ab
        >>> up = ab.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        >>> up.weight.shape, up(ab.randn(2, 16, 7, 7)).shape
        ((16, 8, 4, 4), (2, 8, 14, 14))

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 2
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", dtype=None) -> None:  # fmt: skip
        name = type(self).__name__
        if padding_mode != "zeros" or isinstance(padding, str):
            raise ValueError(f"{name}: only zero padding given as ints is supported, got "
                             f"padding={padding!r}, padding_mode={padding_mode!r}")  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype)  # fmt: skip
        self.output_padding = int_tuple(output_padding, 2, "output_padding", name)

    def _weight_shape(self) -> tuple:
        return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)

    def forward(self, input):
        self._check_input(input)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)  # fmt: skip
