"""Every loss against PyTorch (values and gradients, each reduction), stability for huge
logits, and clear errors."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn import functional as F
from helpers import check_gradients


def _pair(torch, a, requires_grad=True):
    return ab.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _compare(torch, ours_fn, theirs_fn, logits, target_ab, target_t, rtol=1e-5, atol=1e-6):
    x, t = _pair(torch, logits)
    out, expected = ours_fn(x, target_ab), theirs_fn(t, target_t)
    np.testing.assert_allclose(
        out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol
    )
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)).astype(np.float32) * 2
LABELS = np.array([0, 3, 1, 1, 2, -100])
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5], dtype=np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_indices(torch, reduction, smoothing, weighted):
    w_ab = ab.tensor(WEIGHT) if weighted else None
    w_t = torch.tensor(WEIGHT) if weighted else None
    _compare(
        torch,
        lambda x, y: F.cross_entropy(x, y, w_ab, reduction=reduction, label_smoothing=smoothing),
        lambda x, y: torch.nn.functional.cross_entropy(
            x, y, w_t, reduction=reduction, label_smoothing=smoothing
        ),
        LOGITS, ab.tensor(LABELS), torch.tensor(LABELS),
    )  # fmt: skip


def test_cross_entropy_spatial_and_unbatched(torch):
    logits = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    labels = RNG.integers(0, 3, size=(2, 4, 5))
    for reduction in ("mean", "none"):
        _compare(torch, lambda x, y, r=reduction: F.cross_entropy(x, y, reduction=r),
                 lambda x, y, r=reduction: torch.nn.functional.cross_entropy(x, y, reduction=r),
                 logits, ab.tensor(labels), torch.tensor(labels))  # fmt: skip
    single = RNG.standard_normal(5).astype(np.float32)
    _compare(torch, F.cross_entropy, torch.nn.functional.cross_entropy, single,
             ab.tensor(3), torch.tensor(3))  # fmt: skip


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_probabilities(torch, smoothing):
    probs = RNG.dirichlet(np.ones(4), size=6).astype(np.float32)
    _compare(
        torch,
        lambda x, y: F.cross_entropy(x, y, ab.tensor(WEIGHT), label_smoothing=smoothing),
        lambda x, y: torch.nn.functional.cross_entropy(
            x, y, torch.tensor(WEIGHT), label_smoothing=smoothing
        ),
        LOGITS, ab.tensor(probs), torch.tensor(probs),
    )  # fmt: skip


def test_fused_cross_entropy_matches_its_reference():
    from abinitio.ops.loss import _reference_cross_entropy

    x = ab.tensor(LOGITS)
    for smoothing in (0.0, 0.3):
        fused = F.cross_entropy(x, ab.tensor(LABELS), ab.tensor(WEIGHT), label_smoothing=smoothing)
        composed = _reference_cross_entropy(
            x, ab.tensor(LABELS), ab.tensor(WEIGHT), -100, smoothing
        )
        assert fused.item() == pytest.approx(composed.item(), rel=1e-6)


def test_cross_entropy_gradcheck():
    labels = ab.tensor(LABELS)
    check_gradients(
        lambda x: F.cross_entropy(x, labels, label_smoothing=0.1), [LOGITS.astype(np.float64)]
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(torch, reduction):
    log_p = np.log(RNG.dirichlet(np.ones(4), size=6)).astype(np.float32)
    _compare(torch, lambda x, y: F.nll_loss(x, y, ab.tensor(WEIGHT), reduction=reduction),
             lambda x, y: torch.nn.functional.nll_loss(x, y, torch.tensor(WEIGHT),
                                                       reduction=reduction),
             log_p, ab.tensor(LABELS), torch.tensor(LABELS))  # fmt: skip


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(torch, name, reduction):
    target = (LOGITS + RNG.standard_normal(LOGITS.shape) * 1.5).astype(np.float32)
    _compare(torch, lambda x, y: getattr(F, name)(x, y, reduction=reduction),
             lambda x, y: getattr(torch.nn.functional, name)(x, y, reduction=reduction),
             LOGITS, ab.tensor(target), torch.tensor(target))  # fmt: skip


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(torch, reduction):
    probs = RNG.uniform(0.05, 0.95, size=(5, 3)).astype(np.float32)
    target = RNG.integers(0, 2, size=(5, 3)).astype(np.float32)
    weight = RNG.uniform(0.5, 2, size=(5, 3)).astype(np.float32)
    _compare(torch, lambda x, y: F.binary_cross_entropy(x, y, ab.tensor(weight), reduction),
             lambda x, y: torch.nn.functional.binary_cross_entropy(x, y, torch.tensor(weight),
                                                                   reduction=reduction),
             probs, ab.tensor(target), torch.tensor(target))  # fmt: skip


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_binary_cross_entropy_with_logits(torch, reduction, pos_weight):
    target = RNG.integers(0, 2, size=LOGITS.shape).astype(np.float32)
    pw_ab = None if pos_weight is None else ab.tensor([pos_weight] * 4)
    pw_t = None if pos_weight is None else torch.tensor([pos_weight] * 4)
    _compare(torch, lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                                    pos_weight=pw_ab),
             lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
                 x, y, reduction=reduction, pos_weight=pw_t),
             LOGITS, ab.tensor(target), torch.tensor(target))  # fmt: skip


def test_huge_logits_give_finite_losses_and_gradients():
    logits = ab.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], requires_grad=True)
    labels = ab.tensor([1, 0])
    losses = [
        F.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels, label_smoothing=0.1),
        F.binary_cross_entropy_with_logits(logits, ab.tensor([[0.0, 1, 1], [1, 0, 0]])),
        F.binary_cross_entropy_with_logits(logits, ab.ones(2, 3), pos_weight=ab.tensor(2.0)),
    ]
    for loss in losses:
        logits.grad = None
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()
    assert F.cross_entropy(logits, labels).item() == pytest.approx(20000.0, rel=1e-4)


def test_modules_wrap_the_functions():
    x, y = ab.tensor(LOGITS), ab.tensor(LABELS)
    assert ab.nn.CrossEntropyLoss()(x, y).item() == F.cross_entropy(x, y).item()
    assert ab.nn.MSELoss(reduction="sum")(x, x * 2).item() == pytest.approx(
        (LOGITS**2).sum(), rel=1e-5
    )
    assert "reduction='sum'" in repr(ab.nn.L1Loss(reduction="sum"))
    with pytest.raises(ValueError, match="MSELoss: reduction must be"):
        ab.nn.MSELoss(reduction="avg")


def test_clear_errors():
    with pytest.raises(ValueError, match=r"target contains class 4 but the input has 4 classes"):
        F.cross_entropy(ab.tensor(LOGITS), ab.tensor([0, 1, 2, 3, 4, 0]))
    with pytest.raises(ValueError, match=r"class-index targets of shape \(6,\), got \(5,\)"):
        F.cross_entropy(ab.tensor(LOGITS), ab.tensor([0, 1, 2, 3, 1]))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(6, 4\) and target shape \(4,\)"):
        F.mse_loss(ab.tensor(LOGITS), ab.zeros(4))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(ab.tensor([1.5]), ab.tensor([1.0]))
