"""Training utilities: gradient clipping and explicit L1/L2 penalties (``torch.nn.utils``)."""

from __future__ import annotations

import numpy as np

from abinitio.tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:  # fmt: skip
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = (sum over every gradient element of |g|^p)^(1/p); if total > max_norm, every
    gradient is multiplied by max_norm / (total + 1e-6), in place. The direction of the
    update is kept, only its length is limited: the usual cure for exploding gradients
    in recurrent networks. Returns the total norm before clipping.

    Example:
        >>> import abinitio as ab
        >>> w = ab.ones(4, requires_grad=True)
        >>> (w * 10).sum().backward()
        >>> round(clip_grad_norm_([w], 1.0).item(), 3)
        20.0
        >>> round(float((w.grad * w.grad).sum().sqrt()), 3)
        1.0

    See the article docs/articles/architectures/recurrent_networks.py.
    """
    grads = [p.grad.array for p in _with_grads(parameters)]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == np.inf:
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total gradient norm is {total}; the loss or the model "
            "produced non-finite gradients"
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    if coefficient < 1.0:
        for g in grads:
            g *= coefficient
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)


def l1_penalty(parameters) -> Tensor:
    """sum of |w| over all parameters: add ``lam * l1_penalty(model.parameters())`` to the
    loss for L1 regularisation (it drives small weights to exactly zero: sparsity).

    See the article docs/articles/generalisation/regularisation.py.
    """
    terms = [p.abs().sum() for p in parameters]
    return _total(terms)


def l2_penalty(parameters) -> Tensor:
    """sum of w^2 over all parameters: add ``lam * l2_penalty(...)`` to the loss for L2
    regularisation. Its gradient is 2 lam w, so with plain SGD it equals
    ``weight_decay = 2 * lam`` (weight decay shrinks every weight by a fixed fraction).

    See the article docs/articles/generalisation/regularisation.py.
    """
    terms = [(p * p).sum() for p in parameters]
    return _total(terms)


def _total(terms):
    if not terms:
        return Tensor(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (a copy)."""
    from abinitio.ops.shape import cat

    return cat([p.reshape(-1) for p in parameters])
