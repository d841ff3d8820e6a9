"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

import numpy as np

from abinitio.optim._flat import flat_group
from abinitio.optim.optimizer import Optimizer, signed_decayed_grad


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's ``torch.optim.SGD``.

    The algorithm, which ``step`` follows line for line::

        input: γ (lr), θ (params), λ (weight_decay), μ (momentum), τ (dampening),
               nesterov, maximize
        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            if λ ≠ 0:    g ← g + λ θ
            if μ ≠ 0:
                if t > 1: b ← μ b + (1 - τ) g
                else:     b ← g
                if nesterov: g ← g + μ b
                else:        g ← b
            θ ← θ - γ g

    Momentum keeps a running sum ``b`` of past gradients, so steps build up speed along
    directions where gradients agree and cancel where they oscillate. Nesterov momentum
    looks one momentum step ahead.

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: learning rate γ. Default: 1e-3.
        momentum: momentum factor μ in [0, 1). Default: 0.
        dampening: dampening τ for momentum. Default: 0.
        weight_decay: L2 penalty λ. Default: 0.
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0). Default: False.
        maximize: maximise the objective instead of minimising it. Default: False.
        foreach: update each parameter group with a few whole-group NumPy calls, its
            parameters' arrays made views of one flat buffer (PyTorch's ``foreach``: the
            same numbers as the loop, to the bit). ``None`` (default): wherever it is
            safe (each parameter's array referenced by its tensor alone, one dtype);
            ``True``: always; ``False``: the per-parameter loop.
        fused: accepted for compatibility; ``True`` means ``foreach=True``.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD
        >>> w = ab.nn.Parameter(ab.tensor([1.0, -2.0]))
        >>> optimizer = SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     optimizer.zero_grad()
        ...     loss = (w * w).sum()           # gradient 2 w
        ...     loss.backward()
        ...     optimizer.step()
        >>> w.array                            # 1 - 0.2 = 0.8, then 0.8 - 0.1 (1.6 + 0.9 * 2)
        array([ 0.46, -0.92], dtype=float32)

    See the article docs/articles/learning/gradient_descent.py.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults, True if fused else foreach)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        momentum = group["momentum"]
        self._require(0 <= momentum < 1, "momentum", momentum, "in [0, 1)")
        if group["nesterov"]:
            dampening = group["dampening"]
            self._require(momentum > 0, "momentum", momentum, "> 0 with nesterov=True")
            self._require(dampening == 0, "dampening", dampening, "0 with nesterov=True")

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        looped = []
        for index, group in enumerate(self.param_groups):
            flat = flat_group(self, index, group)
            names = ["momentum_buffer"] if group["momentum"] != 0 else []
            if flat is None or not flat.ready(self.state, names):
                looped.append(group)
            elif self._momentum_only(group) and flat.state(self.state, names[0]) is not None:
                self._step_flat_momentum(flat, group)
            else:
                self._step_flat(flat, flat.gradients(), group)
        for p, grad, state, group in self._params_with_grad(looped):
            g = signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])
            b = self._update(p, g, state.get("momentum_buffer"), np.empty_like(p), group)
            if b is not None:
                state["momentum_buffer"] = b
        return loss

    @staticmethod
    def _momentum_only(group: dict) -> bool:
        return (
            group["momentum"] != 0
            and group["dampening"] == 0
            and group["weight_decay"] == 0
            and not group["maximize"]
            and not group["nesterov"]
        )

    def _step_flat_momentum(self, flat, group: dict) -> None:
        """Plain momentum, ``b ← μ b + g; θ ← θ - γ b``, without gathering the gradients
        (one pass less): ``b += g`` runs per parameter, into ``b``'s views."""
        b, views = flat.states["momentum_buffer"]
        np.multiply(b, group["momentum"], out=b)
        for view, p in zip(views, flat.params):
            view += p.grad.array
        np.multiply(b, group["lr"], out=flat.scratch)
        flat.buffer -= flat.scratch

    def _step_flat(self, flat, grad, group: dict) -> None:
        """The loop's body once, on the whole group: ``flat.buffer`` holds every θ and
        ``grad`` every gradient; the same operations, so the same numbers."""
        p = flat.buffer
        g = signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])
        old = flat.state(self.state, "momentum_buffer") if group["momentum"] != 0 else None
        b = self._update(p, g, old, flat.scratch, group)
        if b is not None and old is None:
            flat.adopt(self.state, "momentum_buffer", b)

    @staticmethod
    def _update(p, g, b, scratch, group: dict):
        """One SGD update in place, for one parameter or a whole flat group: ``b`` is the
        momentum buffer (None before the first step), ``scratch`` a buffer shaped like
        ``p``. Returns the momentum buffer (a new one on the first step; None without
        momentum)."""
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        if momentum != 0:
            if b is not None:
                np.multiply(b, momentum, out=b)
                if dampening == 0:
                    b += g  # no temporary when τ = 0
                else:
                    np.multiply(g, 1 - dampening, out=scratch)
                    b += scratch
            else:
                b = np.copy(g)
            if group["nesterov"]:
                np.multiply(b, momentum, out=scratch)
                np.add(g, scratch, out=scratch)
                g = scratch
            else:
                g = b
        np.multiply(g, lr, out=scratch)
        p -= scratch
        return b
