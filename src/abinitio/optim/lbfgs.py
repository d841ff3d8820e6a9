"""L-BFGS: a quasi-Newton method that builds its curvature estimate from recent steps."""

from __future__ import annotations

import numpy as np

from abinitio.optim.optimizer import Optimizer


class LBFGS(Optimizer):
    r"""L-BFGS, PyTorch's ``torch.optim.LBFGS`` (without a line search; its
    ``line_search_fn="strong_wolfe"`` is not implemented yet and says so).

    Nocedal, "Updating quasi-Newton matrices with limited storage" (1980). Each ``step``
    re-evaluates the loss through ``closure`` up to ``max_iter`` times. With the gradient
    :math:`g_k`, the last ``history_size`` steps :math:`s_i = \theta_{i+1} - \theta_i` and
    gradient changes :math:`y_i = g_{i+1} - g_i`, the direction :math:`d = -H g` applies the
    inverse-Hessian estimate :math:`H` by the two-loop recursion, which ``step`` follows::

        q ← -g
        for i = newest … oldest:  α_i ← ρ_i s_iᵀ q;   q ← q - α_i y_i      (ρ_i = 1 / y_iᵀ s_i)
        r ← γ q                                                           (γ = y_kᵀ s_k / y_kᵀ y_k)
        for i = oldest … newest:  β_i ← ρ_i y_iᵀ r;   r ← r + (α_i - β_i) s_i
        θ ← θ + t d,  d = r;   t = lr  (the first step: min(1, 1 / ‖g‖₁) · lr)

    A pair is kept only when :math:`y^\top s > 10^{-10}` (curvature positive), which keeps
    :math:`H` positive definite.

    Args:
        params: the parameters (one group only, as in PyTorch).
        lr: step length t. Default: 1.
        max_iter: iterations per ``step``. Default: 20.
        max_eval: closure evaluations per ``step``. Default: max_iter * 5 / 4.
        tolerance_grad: stop when max |g| falls to this. Default: 1e-7.
        tolerance_change: stop when the step or the loss change falls below it. Default: 1e-9.
        history_size: how many (s, y) pairs to keep. Default: 100.

    Example:
        >>> import abinitio as ab
        >>> w = ab.nn.Parameter(ab.tensor([3.0, -2.0]))
        >>> optimizer = ab.optim.LBFGS([w])
        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = ((w - 1) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = optimizer.step(closure)
        >>> w.array.round(4)
        array([1., 1.], dtype=float32)

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval=None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn=None) -> None:  # fmt: skip
        if line_search_fn is not None:
            raise NotImplementedError(
                f"LBFGS: line_search_fn={line_search_fn!r} is not implemented in abinitio yet; "
                "use line_search_fn=None (a fixed step lr)"
            )
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=None)  # fmt: skip
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return np.concatenate([
            np.zeros(p.numel(), p.dtype) if p.grad is None else p.grad.array.reshape(-1)
            for p in self._params
        ])  # fmt: skip

    def _add(self, t, d) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p.array += (t * d[offset:offset + n]).reshape(p.shape).astype(p.dtype, copy=False)
            offset += n

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` (required) clears the
        gradients, computes the loss, calls ``backward`` and returns the loss."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that re-evaluates the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._closure_loss(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_g, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), None
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -g, [], [], [], 1
            else:
                y, s = g - prev_g, d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep only pairs with positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                alpha = [None] * len(old_dirs)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    alpha[i] = old_stps[i].dot(q) * ro[i]
                    q = q - alpha[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    beta = old_dirs[i].dot(d) * ro[i]
                    d = d + (alpha[i] - beta) * old_stps[i]
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            if g.dot(d) > -tol_change:  # not a descent direction
                break
            self._add(t, d)
            evals = 0
            if n_iter != max_iter:
                loss = float(self._closure_loss(closure))
                g = self._flat_grad()
                evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval:
                break
            if np.abs(g).max() <= tol_grad or np.abs(d * t).max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)  # fmt: skip
        return orig_loss
