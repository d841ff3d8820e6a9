"""Loss functions as modules: thin wrappers that store the options and call
:mod:`abinitio.nn.losses` (where the maths is)."""

from __future__ import annotations

from abinitio.nn import losses
from abinitio.nn.modules.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            name = type(self).__name__
            raise ValueError(
                f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """Mean squared error, mean((input - target)^2): the regression loss.

    See the article docs/articles/learning/loss_functions.py.
    """

    def forward(self, input, target):
        return losses.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, mean(|input - target|).

    See the article docs/articles/learning/loss_functions.py.
    """

    def forward(self, input, target):
        return losses.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Squared error below ``delta``, absolute error beyond it.

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return losses.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """Huber loss divided by ``beta``: 0.5 d^2 / beta for |d| < beta, |d| - 0.5 beta beyond.

    Equal to ``HuberLoss(delta=beta) / beta``; as beta -> 0 it becomes the L1 loss.

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return losses.smooth_l1_loss(input, target, self.reduction, self.beta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities (softmax
    included: feed raw scores). See :func:`abinitio.nn.losses.cross_entropy`.

    Example:
        >>> import abinitio as ab
        >>> loss = ab.nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(ab.randn(4, 3), ab.tensor([0, 2, 1, 0])).shape
        ()

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:  # fmt: skip
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return losses.cross_entropy(input, target, self.weight, self.ignore_index,
                                    self.reduction, self.label_smoothing)  # fmt: skip


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (after ``LogSoftmax``).

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return losses.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after ``Sigmoid``).

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return losses.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits: the sigmoid is inside, computed stably for any
    logit size. ``pos_weight`` > 1 raises recall on positives.

    See the article docs/articles/learning/loss_functions.py.
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return losses.binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )
