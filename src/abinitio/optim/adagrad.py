"""Adagrad: per-coordinate steps that shrink with the sum of that coordinate's squared gradients."""

from __future__ import annotations

import numpy as np

from abinitio.optim.optimizer import Optimizer, signed_decayed_grad


class Adagrad(Optimizer):
    """Adagrad, PyTorch's ``torch.optim.Adagrad``.

    Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization" (JMLR 2011). Coordinates that have seen large gradients take small steps;
    rare features keep large ones. The algorithm, which ``step`` follows line for line::

        input: γ (lr), θ (params), λ (weight_decay), η (lr_decay), τ (initial_accumulator_value),
               ε (eps), maximize
        s ← τ
        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            if λ ≠ 0:    g ← g + λ θ
            γ_t ← γ / (1 + (t - 1) η)
            s ← s + g²
            θ ← θ - γ_t g / (√s + ε)

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: learning rate γ. Default: 1e-2.
        lr_decay: learning-rate decay η. Default: 0.
        weight_decay: L2 penalty λ. Default: 0.
        initial_accumulator_value: the starting value τ of the sum ``s``. Default: 0.
        eps: ε, added to the denominator for numerical stability. Default: 1e-10.
        maximize: maximise the objective instead of minimising it. Default: False.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import Adagrad
        >>> w = ab.nn.Parameter(ab.tensor([1.0, -2.0]))
        >>> optimizer = Adagrad([w], lr=0.5)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> optimizer.step()                  # s = g², so θ moves by 0.5 g / |g| = 0.5
        >>> w.array
        array([ 0.5, -1.5], dtype=float32)

    See the article docs/articles/learning/gradient_descent.py.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        lr_decay, initial = group["lr_decay"], group["initial_accumulator_value"]
        self._require(lr_decay >= 0, "lr_decay", lr_decay, "a non-negative number")
        self._require(initial >= 0, "initial_accumulator_value", initial, "a non-negative number")

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for p, grad, state, group in self._params_with_grad():
            if not state:
                state["step"] = 0
                state["sum"] = np.full_like(p, group["initial_accumulator_value"])
            state["step"] += 1
            t, s = state["step"], state["sum"]
            g = signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])
            lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
            scratch = np.multiply(g, g)
            s += scratch  # s ← s + g²
            np.sqrt(s, out=scratch)
            scratch += group["eps"]  # √s + ε
            np.divide(g, scratch, out=scratch)
            scratch *= lr_t
            p -= scratch
        return loss
