"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``.

Pooling summarises each window of a feature map by its maximum or its average: it has no
parameters, shrinks the map (a 2x2 window with stride 2 halves each side) and makes the
network less sensitive to small shifts of the input. The maths is in
:mod:`abinitio.ops.pooling` and :mod:`abinitio.ops.adaptive_pooling`.
"""

from __future__ import annotations

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module
from abinitio.ops.im2col import int_tuple

_LAYOUTS = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)"}


class _Pool(Module):
    """Checks the input's rank so that errors name the layer."""

    dims = 2

    def _check_input(self, input) -> None:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(
                f"{self!r}: expected input of shape {_LAYOUTS[self.dims]}, got {input.shape}"
            )


class _MaxPoolNd(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """The maximum of each (kH, kW) window, windows ``stride`` apart.

    out[n, c, y, x] = max_{i < kH, j < kW} xp[n, c, y sH + i dH, x sW + j dW], with xp the
    input padded with -inf. The gradient goes to the (first) maximum of each window.

    Args:
        kernel_size: the window, an int or (kH, kW).
        stride: step between windows (default: ``kernel_size``, windows that tile).
        padding: -inf added on each side, at most half the kernel.
        dilation: spacing between the pixels of a window.
        return_indices: also return each maximum's flat index h*W + w.
        ceil_mode: round the output size up instead of down.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out),
        H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> ab.nn.MaxPool2d(2)(ab.randn(8, 6, 28, 28)).shape
        (8, 6, 14, 14)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def forward(self, input):
        self._check_input(input)
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)  # fmt: skip


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of a sequence: :class:`MaxPool2d` along one axis.

    Args:
        kernel_size, stride, padding, dilation, return_indices, ceil_mode: as in
            :class:`MaxPool2d`, one number each.

    Shape:
        input (N, C, L) or (C, L) -> output (N, C, L_out),
        L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1.

    Example:
        >>> import abinitio as ab
        >>> ab.nn.MaxPool1d(2)(ab.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]))
        tensor([[[3., 2.]]])

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 1

    def forward(self, input):
        self._check_input(input)
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)  # fmt: skip


class AvgPool2d(_Pool):
    """The average of each (kH, kW) window, windows ``stride`` apart.

    out[n, c, y, x] = sum_{i, j} xp[n, c, y sH + i, x sW + j] / divisor, with xp the
    zero-padded input and the divisor kH*kW (PyTorch's rule at the edges).

    Args:
        kernel_size: the window, an int or (kH, kW).
        stride: step between windows (default: ``kernel_size``).
        padding: zeros added on each side, at most half the kernel.
        ceil_mode: round the output size up instead of down.
        count_include_pad: whether the padding zeros count in the divisor.
        divisor_override: divide every window's sum by this number instead.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out),
        H_out = floor((H + 2 pH - kH) / sH) + 1, and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> ab.nn.AvgPool2d(2)(ab.tensor([[[[1.0, 2.0, 5.0, 1.0], [3.0, 6.0, 1.0, 1.0]]]]))
        tensor([[[[3., 2.]]]])

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        self._check_input(input)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_Pool):
    """The average of each window of a sequence: :class:`AvgPool2d` along one axis.

    Args:
        kernel_size, stride, padding, ceil_mode, count_include_pad: as in
            :class:`AvgPool2d`, one number each.

    Shape:
        input (N, C, L) or (C, L) -> output (N, C, L_out), L_out = floor((L + 2 p - k) / s) + 1.

    Example:
        >>> import abinitio as ab
        >>> ab.nn.AvgPool1d(2)(ab.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]))
        tensor([[[2., 1.]]])

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:  # fmt: skip
        super().__init__()
        # PyTorch stores AvgPool1d's sizes as 1-tuples (and only this pooling's)
        self.kernel_size = int_tuple(kernel_size, 1, "kernel_size", "AvgPool1d", minimum=1)
        self.stride = (
            self.kernel_size if stride is None else int_tuple(stride, 1, "stride", "AvgPool1d")
        )
        self.padding = int_tuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        self._check_input(input)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool):
    """Average pooling to a chosen output size, whatever the input size: output cell
    (i, j) averages rows [floor(i H / H_out), ceil((i + 1) H / H_out)) and likewise columns.
    ``AdaptiveAvgPool2d(1)`` is global average pooling (ResNet's head).

    Args:
        output_size: (H_out, W_out), or one int; ``None`` in the tuple keeps that size.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out).

    Example:
        >>> import abinitio as ab
        >>> ab.nn.AdaptiveAvgPool2d(1)(ab.randn(2, 64, 7, 9)).shape
        (2, 64, 1, 1)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        self._check_input(input)
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Average pooling of a sequence to a chosen length: cell i averages positions
    [floor(i L / L_out), ceil((i + 1) L / L_out)).

    Args:
        output_size: L_out, an int.

    Shape:
        input (N, C, L) or (C, L) -> output (N, C, L_out).

    Example:
        >>> import abinitio as ab
        >>> ab.nn.AdaptiveAvgPool1d(2)(ab.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]))
        tensor([[[2., 4.]]])

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    dims = 1

    def forward(self, input):
        self._check_input(input)
        return F.adaptive_avg_pool1d(input, self.output_size)
