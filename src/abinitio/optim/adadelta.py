"""Adadelta: steps whose size is the ratio of two running root mean squares."""

from __future__ import annotations

import numpy as np

from abinitio.optim.optimizer import Optimizer, signed_decayed_grad


class Adadelta(Optimizer):
    """Adadelta, PyTorch's ``torch.optim.Adadelta`` (the optimiser of PyTorch's MNIST example).

    Zeiler, "ADADELTA: An Adaptive Learning Rate Method" (https://arxiv.org/abs/1212.5701).
    The algorithm, which ``step`` follows line for line::

        input: γ (lr), θ (params), ρ (rho), λ (weight_decay), ε (eps), maximize
        v ← 0 (square_avg), u ← 0 (acc_delta)
        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            if λ ≠ 0:    g ← g + λ θ
            v ← ρ v + (1 - ρ) g²
            Δ ← √(u + ε) / √(v + ε) · g
            u ← ρ u + (1 - ρ) Δ²
            θ ← θ - γ Δ

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: γ, a factor on the step (the method's own step size is the ratio). Default: 1.0.
        rho: ρ, the running averages' smoothing constant, in [0, 1]. Default: 0.9.
        eps: ε, inside both square roots. Default: 1e-6.
        weight_decay: L2 penalty λ. Default: 0.
        maximize: maximise the objective instead of minimising it. Default: False.

    Example:
        >>> import abinitio as ab
        >>> w = ab.nn.Parameter(ab.tensor([1.0]))
        >>> optimizer = ab.optim.Adadelta([w], lr=1.0, rho=0.0, eps=0.01)
        >>> (w * w).sum().backward()     # g = 2, v = 4: Δ = √0.01 / √4.01 · 2 ≈ 0.0999
        >>> optimizer.step()
        >>> w.array.round(4)
        array([0.9001], dtype=float32)

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, maximize: bool = False) -> None:  # fmt: skip
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        self._require(0 <= group["rho"] <= 1, "rho", group["rho"], "in [0, 1]")

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for p, grad, state, group in self._params_with_grad():
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p)
                state["acc_delta"] = np.zeros_like(p)
            state["step"] += 1
            v, u = state["square_avg"], state["acc_delta"]
            g = signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])
            np.multiply(v, rho, out=v)
            v += (1 - rho) * g * g  # v ← ρ v + (1 - ρ) g²
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            np.multiply(u, rho, out=u)
            u += (1 - rho) * delta * delta  # u ← ρ u + (1 - ρ) Δ²
            p -= (lr * delta).astype(p.dtype, copy=False)
        return loss
