"""Adam (adaptive moment estimation) and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

import math

import numpy as np

from abinitio.optim._flat import flat_group
from abinitio.optim.optimizer import Optimizer, signed_decayed_grad


class Adam(Optimizer):
    """Adam: steps scaled per coordinate by running averages of the gradient and its square.

    Kingma & Ba, "Adam: A Method for Stochastic Optimization" (https://arxiv.org/abs/1412.6980);
    ``amsgrad`` is Reddi et al., "On the Convergence of Adam and Beyond" (ICLR 2018). The
    algorithm, which ``step`` follows line for line::

        input: γ (lr), β1, β2 (betas), θ (params), λ (weight_decay), ε (eps),
               amsgrad, maximize
        m ← 0, v ← 0, v_max ← 0
        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            if λ ≠ 0:    g ← g + λ θ                 (AdamW instead: θ ← θ (1 - γ λ))
            m ← β1 m + (1 - β1) g                    running mean of g
            v ← β2 v + (1 - β2) g²                   running mean of g²
            m̂ ← m / (1 - β1^t)                       bias correction: m and v start at 0
            if amsgrad: v_max ← max(v_max, v)
                        v̂ ← v_max / (1 - β2^t)
            else:       v̂ ← v / (1 - β2^t)
            θ ← θ - γ m̂ / (√v̂ + ε)

    The code computes ``γ m̂ / (√v̂ + ε)`` as ``(γ / (1 - β1^t)) m / (√v / √(1 - β2^t) + ε)``
    (the same number, as PyTorch computes it), in one scratch array.

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: learning rate γ. Default: 1e-3.
        betas: (β1, β2), decay rates of the two running averages, each in [0, 1).
            Default: (0.9, 0.999).
        eps: ε, added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty λ, added to the gradient. Default: 0.
        amsgrad: use the running maximum of ``v`` (AMSGrad). Default: False.
        maximize: maximise the objective instead of minimising it. Default: False.
        foreach: update each parameter group with a few whole-group NumPy calls, its
            parameters' arrays (and ``m``, ``v``) made views of flat buffers (PyTorch's
            ``foreach``: the same numbers as the loop, to the bit). ``None`` (default):
            wherever it is safe (each parameter's array referenced by its tensor alone,
            one dtype, every parameter at the same step); ``True``: always; ``False``:
            the per-parameter loop.
        fused: accepted for compatibility; ``True`` means ``foreach=True``.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import Adam
        >>> w = ab.nn.Parameter(ab.tensor([1.0, -2.0]))
        >>> optimizer = Adam([w], lr=0.1)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> optimizer.step()                  # the first step moves each weight by about lr
        >>> w.array.round(4)
        array([ 0.9, -1.9], dtype=float32)

    See the article docs/articles/learning/gradient_descent.py.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults, True if fused else foreach)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        betas = group["betas"]
        self._require(len(betas) == 2, "betas", betas, "a pair (beta1, beta2)")
        self._require(0 <= betas[0] < 1, "betas", betas, "two numbers in [0, 1)")
        self._require(0 <= betas[1] < 1, "betas", betas, "two numbers in [0, 1)")

    def _decayed_grad(self, p, grad, group: dict):
        """Adam's weight decay is an L2 penalty: it is added to the gradient."""
        return signed_decayed_grad(grad, p, group["weight_decay"], group["maximize"])

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        looped = []
        for index, group in enumerate(self.param_groups):
            flat = flat_group(self, index, group)
            if flat is None or not self._flat_ready(flat, group):
                looped.append(group)
            else:
                self._step_flat(flat, flat.gradients(), group)
        for p, grad, state, group in self._params_with_grad(looped):
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p)
                state["exp_avg_sq"] = np.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = np.zeros_like(p)
            state["step"] += 1
            g = self._decayed_grad(p, grad, group)
            moments = state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")
            self._update(p, g, *moments, np.empty_like(g), state["step"], group)
        return loss

    @staticmethod
    def _update(p, g, m, v, largest, scratch, t: int, group: dict) -> None:
        """One Adam update in place, for one parameter or a whole flat group: ``largest``
        is v_max (amsgrad) or None, ``scratch`` a buffer shaped like ``g``."""
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        np.multiply(g, 1 - beta1, out=scratch)
        np.multiply(m, beta1, out=m)
        m += scratch  # m ← β1 m + (1 - β1) g
        np.multiply(g, g, out=scratch)
        scratch *= 1 - beta2
        np.multiply(v, beta2, out=v)
        v += scratch  # v ← β2 v + (1 - β2) g²
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        if largest is not None:
            v = np.maximum(largest, v, out=largest)
        np.sqrt(v, out=scratch)
        scratch /= math.sqrt(bias_correction2)
        scratch += eps  # √v̂ + ε
        np.divide(m, scratch, out=scratch)
        scratch *= lr / bias_correction1  # γ m̂ / (√v̂ + ε)
        p -= scratch

    def _state_names(self, group: dict) -> list:
        names = ["exp_avg", "exp_avg_sq"]
        return names + ["max_exp_avg_sq"] if group["amsgrad"] else names

    def _flat_ready(self, flat, group: dict) -> bool:
        """Every parameter at the same step, with all its state or none of it."""
        steps = {self.state[p].get("step") for p in flat.params}
        return len(steps) == 1 and flat.ready(self.state, self._state_names(group))

    def _step_flat(self, flat, grad, group: dict) -> None:
        """The loop's body once, on the whole group: ``flat.buffer`` holds every θ, ``grad``
        every gradient, and m, v are flat too; the same operations, so the same numbers."""
        if flat.state(self.state, "exp_avg") is None:
            for name in self._state_names(group):
                flat.adopt(self.state, name, np.zeros_like(flat.buffer))
            for p in flat.params:
                self.state[p]["step"] = 0
        m = flat.state(self.state, "exp_avg")
        v = flat.state(self.state, "exp_avg_sq")
        for p in flat.params:
            self.state[p]["step"] += 1
        t = self.state[flat.params[0]]["step"]
        largest = flat.state(self.state, "max_exp_avg_sq") if group["amsgrad"] else None
        g = self._decayed_grad(flat.buffer, grad, group)
        self._update(flat.buffer, g, m, v, largest, flat.scratch, t, group)


class AdamW(Adam):
    """AdamW: Adam with *decoupled* weight decay, PyTorch's ``torch.optim.AdamW``.

    Loshchilov & Hutter, "Decoupled Weight Decay Regularization"
    (https://arxiv.org/abs/1711.05101). With Adam, an L2 penalty added to the gradient is
    divided by √v̂ like the rest of it, so weights with large gradients are barely decayed.
    AdamW shrinks the weights directly instead; the rest is :class:`Adam`'s algorithm::

        for t = 1, 2, ...:
            g ← ∇θ f_t(θ)
            if maximize: g ← -g
            θ ← θ (1 - γ λ)                          decoupled weight decay
            ... then m, v, m̂, v̂ and θ ← θ - γ m̂ / (√v̂ + ε) as in Adam

    Args:
        params: tensors to optimise, or dicts of parameter groups.
        lr: learning rate γ. Default: 1e-3.
        betas: (β1, β2), each in [0, 1). Default: (0.9, 0.999).
        eps: ε, added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: decoupled decay rate λ. Default: 1e-2.
        amsgrad: use the running maximum of ``v`` (AMSGrad). Default: False.
        maximize: maximise the objective instead of minimising it. Default: False.
        foreach, fused: as in :class:`Adam` (flat buffers wherever safe, by default).

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import AdamW
        >>> w = ab.nn.Parameter(ab.tensor([1.0, -2.0]))
        >>> optimizer = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = ab.zeros(2)               # no gradient signal: only the decay acts
        >>> optimizer.step()
        >>> w.array                             # θ (1 - 0.1 * 0.5)
        array([ 0.95, -1.9 ], dtype=float32)

    See the article docs/articles/generalisation/regularisation.py.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize, foreach, fused)

    def _decayed_grad(self, p, grad, group: dict):
        """AdamW's weight decay shrinks θ itself: θ ← θ (1 - γ λ); the gradient is unchanged."""
        p *= 1 - group["lr"] * group["weight_decay"]
        return signed_decayed_grad(grad, p, 0, group["maximize"])
