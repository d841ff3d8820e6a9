"""Instance normalisation: each sample's each channel normalised by its own statistics."""

from __future__ import annotations

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter


class _InstanceNorm(Module):
    dims = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        if track_running_stats:
            raise NotImplementedError(
                f"{type(self).__name__}: track_running_stats=True is not implemented in "
                "abinitio yet (PyTorch's default is False)"
            )
        self.num_features, self.eps, self.affine = num_features, eps, affine
        if affine:
            self.weight = Parameter(creation.ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(creation.zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        if input.ndim == self.dims + 1:  # one unbatched sample (C, ...)
            return self.forward(input.unsqueeze(0)).squeeze(0)
        if input.ndim != self.dims + 2:
            raise ValueError(
                f"{type(self).__name__}: expected {self.dims + 2}-D input, got shape {input.shape}"
            )
        return F.instance_norm(input, weight=self.weight, bias=self.bias, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, affine={self.affine}"


class InstanceNorm1d(_InstanceNorm):
    r"""Instance norm over (N, C, L): :math:`y = \gamma (x - \mu_{nc}) / \sqrt{\sigma^2_{nc}
    + \epsilon} + \beta`, statistics over L for each sample n and channel c.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    dims = 1


class InstanceNorm2d(_InstanceNorm):
    r"""Instance norm over (N, C, H, W): statistics over H and W for each sample and
    channel (Ulyanov et al. 2016, the norm of fast style transfer).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    dims = 2
