"""RMSprop: gradient steps divided by a running root mean square of the gradient."""

from __future__ import annotations

import numpy as np

from abinitio.optim.optimizer import Optimizer, signed_decayed_grad


class RMSprop(Optimizer):
    """RMSprop, PyTorch's ``torch.optim.RMSprop``.

    Proposed by G. Hinton in his Coursera course (lecture 6.5); the centred version is from
    Graves, "Generating Sequences With Recurrent Neural Networks"
    (https://arxiv.org/abs/1308.0850). The algorithm, which ``step`` follows line for line::

        input: γ (lr), α (alpha), θ (params), λ (weight_decay), μ (momentum), ε (eps),
               centered, maximize
        v ← 0, g_avg ← 0, b ← 0
        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            if λ ≠ 0:    g ← g + λ θ
            v ← α v + (1 - α) g²                     running mean of g²
            if centered:
                g_avg ← α g_avg + (1 - α) g          running mean of g
                d ← √(v - g_avg²) + ε                (a running standard deviation)
            else:
                d ← √v + ε
            if μ > 0:
                b ← μ b + g / d
                θ ← θ - γ b
            else:
                θ ← θ - γ g / d

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: learning rate γ. Default: 1e-2.
        alpha: smoothing constant α in [0, 1). Default: 0.99.
        eps: ε, added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty λ. Default: 0.
        momentum: momentum factor μ in [0, 1). Default: 0.
        centered: divide by the running standard deviation instead of the running root mean
            square. Default: False.
        maximize: maximise the objective instead of minimising it. Default: False.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import RMSprop
        >>> w = ab.nn.Parameter(ab.tensor([1.0, -2.0]))
        >>> optimizer = RMSprop([w], lr=0.01, alpha=0.75)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> optimizer.step()                  # v = 0.25 g²: θ moves by 0.01 g / (0.5 |g|) = 0.02
        >>> w.array
        array([ 0.98, -1.98], dtype=float32)

    See the article docs/articles/learning/gradient_descent.py.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        alpha, momentum = group["alpha"], group["momentum"]
        self._require(0 <= alpha < 1, "alpha", alpha, "in [0, 1)")
        self._require(0 <= momentum < 1, "momentum", momentum, "in [0, 1)")

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for p, grad, state, group in self._params_with_grad():
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = np.zeros_like(p)
            state["step"] += 1
            v = state["square_avg"]
            g = signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])
            d = np.multiply(g, 1 - alpha)  # (1 - α) g; d is the one scratch array
            if group["centered"]:
                g_avg = state["grad_avg"]
                np.multiply(g_avg, alpha, out=g_avg)
                g_avg += d  # g_avg ← α g_avg + (1 - α) g
            d *= g
            np.multiply(v, alpha, out=v)
            v += d  # v ← α v + (1 - α) g²
            if group["centered"]:
                np.multiply(g_avg, g_avg, out=d)
                np.subtract(v, d, out=d)
                np.sqrt(d, out=d)
            else:
                np.sqrt(v, out=d)
            d += eps
            np.divide(g, d, out=d)  # g / d
            if momentum > 0:
                b = state["momentum_buffer"]
                np.multiply(b, momentum, out=b)
                b += d  # b ← μ b + g / d
                np.multiply(b, lr, out=d)
            else:
                d *= lr
            p -= d
        return loss
