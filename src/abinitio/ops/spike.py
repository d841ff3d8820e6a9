"""Spiking as a differentiable primitive, and a leaky integrate-and-fire layer fused over
all time steps.

A spiking neuron emits S = H(U - theta): 1 when its membrane potential U is strictly above
the threshold theta, else 0. The step H has derivative 0 everywhere except at 0, where it
has none, so the chain rule through it gives no learning signal at all. *Surrogate
gradient* training (Neftci, Mostafa & Zenke 2019) keeps the exact step in the forward pass
and, in the backward pass only, replaces dS/dU by the derivative of a smooth stand-in
(a fast sigmoid, an arctangent, ...). :class:`Spike` is that primitive; the stand-in is an
object with a ``derivative(u)`` method (see :mod:`abinitio.snn.surrogate`).

:class:`LeakyLayer` runs the whole time loop of a layer of leaky integrate-and-fire (LIF)
neurons as one graph node with a hand-derived backward (backpropagation through time).
Its composed version, the one to read first, is :func:`_reference_leaky_layer`: a loop
over steps of ordinary operations, which records about ten graph nodes per step.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import get_array_module
from abinitio.ops.parallel import over_batch

RESETS = ("subtract", "zero", "none")


# ---- the composed version: the test oracle, and the definition to read first ------------
def _reference_leaky_layer(x, mem, beta, threshold, surrogate, reset="subtract"):
    """LIF over the steps of ``x`` (T, ...) from ordinary operations, with snnTorch's
    timing: the reset at step t is decided by the membrane of step t-1.

        r_t = H(U_{t-1} - theta)                  (no gradient: a decision, not a value)
        U_t = b U_{t-1} + X_t - r_t theta         reset "subtract"
        U_t = b (1 - r_t) U_{t-1} + X_t           reset "zero"
        U_t = b U_{t-1} + X_t                     reset "none"
        S_t = H(U_t - theta)                      (surrogate gradient), b = clamp(beta, 0, 1)

    Returns the spikes and the membranes, both (T, ...)."""
    from abinitio.ops.shape import stack

    b = beta.clamp(0, 1)
    spikes, mems = [], []
    for t in range(x.shape[0]):
        r = (mem - threshold).gt(0).float().detach()
        if reset == "subtract":
            mem = b * mem + x[t] - r * threshold
        elif reset == "zero":
            mem = b * ((1 - r) * mem) + x[t]
        else:
            mem = b * mem + x[t]
        spikes.append(Spike.apply(mem - threshold, surrogate=surrogate))
        mems.append(mem)
    return stack(spikes), stack(mems)


# ---- the primitives -----------------------------------------------------------------------
class Spike(Function):
    """S = H(u) = 1 if u > 0 else 0 (u = U - theta).   dL/du = g * surrogate.derivative(u).

    The forward is the exact step; the backward is the surrogate's derivative, on purpose
    not the step's (which is 0 almost everywhere).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    @staticmethod
    def forward(ctx, u, surrogate):
        ctx.save_for_backward(u)
        ctx.surrogate = surrogate
        return (u > 0).astype(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g * ctx.surrogate.derivative(u)


def _empty_pair_like(x):
    """An empty (2, *x.shape) array whose two halves lie in memory in the axis order of
    ``x``: a convolution's batch-innermost output (see ops/im2col.py) gives spikes and
    membranes laid out the same way, so that the step loop, the next convolution and the
    backward all read them without transposing copies."""
    xp = get_array_module(x)
    order = sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis]))
    base = xp.empty((2,) + tuple(x.shape[axis] for axis in order), dtype=x.dtype)
    return base.transpose((0,) + tuple(1 + order.index(axis) for axis in range(x.ndim)))


class LeakyLayer(Function):
    """A layer of LIF neurons over all T steps in one node: the loop of
    :func:`_reference_leaky_layer` in NumPy, and its backward by hand.

    Forward (per step, all neurons at once; S_0 := H(U_0 - theta) for the initial U_0):

        U_t = c_t U_{t-1} + X_t - theta S_{t-1} [subtract],   S_t = H(U_t - theta),
        c_t = b  (subtract, none)   or   b (1 - S_{t-1})  (zero)

    The reset at step t is the spike of step t-1, so the saved spikes give every reset.
    Backward, with a_t = dL/dS_t * sigma'(U_t - theta) (for all steps at once, sigma' the
    surrogate derivative) and e_t = dL/dU_t + a_t, walking t = T..1:

        dU_t = e_t + c_{t+1} dU_{t+1}     (dU_{T+1} = 0)     BPTT through the membrane
        dX_t = dU_t,   dU_0 = c_1 dU_1
        db   = sum_t dU_t U_{t-1} [times (1 - S_{t-1}) for zero],  masked to 0 <= beta <= 1
        dtheta = -sum_t a_t - sum_t S_{t-1} dU_t [subtract only]

    ``output="spikes"`` returns S (T, ...); ``"both"`` returns S and U stacked, (2, T, ...).

    See the article docs/articles/spiking/training_through_time.py.
    """

    @staticmethod
    def forward(ctx, x, mem0, beta, threshold, surrogate, reset="subtract", output="spikes"):
        xp = get_array_module(x)  # NumPy or CuPy: every array below lives beside x
        step = x.shape[1:]
        b = xp.broadcast_to(xp.clip(xp.asarray(beta), 0, 1).astype(x.dtype, copy=False), step)
        theta = xp.asarray(threshold, dtype=x.dtype)
        thetas = xp.broadcast_to(theta, step)
        mem_start = xp.zeros(step, x.dtype) if mem0 is None else xp.broadcast_to(mem0, step)
        out = _empty_pair_like(x)

        def run(part):  # neurons ``part`` of every step; parts run on their own threads
            spikes, mems, xs = out[(0, slice(None), *part)], out[(1, slice(None), *part)], x[(slice(None), *part)]
            bs, th, mem = b[part], thetas[part], mem_start[part]
            previous = (mem > th).astype(x.dtype)
            for t in range(len(xs)):
                m = mems[t]
                if reset == "zero":
                    np.multiply(mem, 1 - previous, out=m)
                    m *= bs
                else:
                    np.multiply(mem, bs, out=m)
                m += xs[t]
                if reset == "subtract":
                    m -= previous * th
                previous = spikes[t]
                xp.greater(m, th, out=previous)  # writes 0/1 in the float array
                mem = m

        _over_neurons(run, x)
        ctx.save_for_backward(out, mem0, beta, theta)
        ctx.surrogate, ctx.reset, ctx.output = surrogate, reset, output
        return out if output == "both" else out[0]

    @staticmethod
    def backward(ctx, g):
        out, mem0, beta, theta = ctx.saved_tensors
        xp = get_array_module(out)
        step, dtype = out.shape[2:], out.dtype
        b = xp.broadcast_to(xp.clip(xp.asarray(beta), 0, 1).astype(dtype, copy=False), step)
        thetas = xp.broadcast_to(theta, step)
        mem_start = xp.zeros(step, dtype) if mem0 is None else xp.broadcast_to(mem0, step)
        g = xp.broadcast_to(g, out.shape if ctx.output == "both" else out.shape[1:])
        needs = ctx.needs_input_grad
        du_all = xp.empty_like(out[1])
        dmem0_all = xp.empty(step, dtype) if needs[1] else None
        dbeta_all = xp.empty(step, dtype) if needs[2] else None
        dtheta_all = xp.empty(step, dtype) if needs[3] else None

        def run(part):  # the gradients of neurons ``part``; parts run on their own threads
            steps = (slice(None), *part)
            spikes, mems = out[(0, *steps)], out[(1, *steps)]
            th, u0 = thetas[part], mem_start[part]
            gs = g[(0, *steps)] if ctx.output == "both" else g[steps]
            a = gs * ctx.surrogate.derivative(mems - th)
            du = du_all[steps]
            if ctx.output == "both":
                xp.add(a, g[(1, *steps)], out=du)  # e_t, then dU_t
            else:
                du[...] = a
            s_prev = _shifted((u0 > th).astype(dtype), spikes)  # S_{t-1} = the reset r_t
            u_prev = _shifted(u0, mems)
            if ctx.reset == "zero":
                carry = b[part] * (1 - s_prev)  # c_t for every t
                u_prev = u_prev * (1 - s_prev)
            else:
                carry = xp.broadcast_to(b[part], mems.shape)
            for t in range(len(du) - 2, -1, -1):
                du[t] += carry[t + 1] * du[t + 1]
            if dmem0_all is not None:
                xp.multiply(carry[0], du[0], out=dmem0_all[part])
            if dbeta_all is not None:
                (du * u_prev).sum(axis=0, out=dbeta_all[part])
            if dtheta_all is not None:
                dtheta = dtheta_all[part]
                a.sum(axis=0, out=dtheta)
                xp.negative(dtheta, out=dtheta)
                if ctx.reset == "subtract":
                    dtheta -= (s_prev * du).sum(axis=0)

        _over_neurons(run, out[1])
        if dbeta_all is not None:
            dbeta_all *= (beta >= 0) & (beta <= 1)
        return du_all, dmem0_all, dbeta_all, dtheta_all


MIN_STEP_PART = 1 << 15  # neurons: a NumPy call on fewer spends much of its time starting


def _over_neurons(kernel, steps):
    """``kernel(part)`` for parts of one step's neurons (``steps`` is (T, ...)), on several
    threads for a large NumPy layer (``ops.parallel``), whole on CuPy. The kernels make
    about six NumPy calls per time step, each holding the GIL while it starts, so a step's
    part must also be large (``MIN_STEP_PART`` neurons) for the threads to overlap."""
    if type(steps) is not np.ndarray or steps.ndim < 2:
        kernel((Ellipsis,))
        return
    axes = range(1, steps.ndim)
    axis = max(axes, key=lambda k: abs(steps.strides[k]))  # outermost in memory: long runs
    head = (slice(None),) * (axis - 1)
    parts = steps[0].size // MIN_STEP_PART
    work = 6 * steps.size if parts > 1 else 0
    over_batch(lambda s: kernel((*head, s)), steps.shape[axis], work)


def _shifted(first, steps):
    """[first, steps[0], ..., steps[T-2]]: the steps one later, in the memory layout of
    ``steps`` (``concatenate`` would return them in C order)."""
    out = get_array_module(steps).empty_like(steps)
    out[0] = first
    out[1:] = steps[:-1]
    return out


def spike(u, surrogate):
    """S = H(u) with the surrogate's derivative in the backward pass.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.snn import surrogate
        >>> spike(ab.tensor([-0.5, 0.0, 0.5]), surrogate.fast_sigmoid()).tolist()
        [0.0, 0.0, 1.0]
    """
    return Spike.apply(u, surrogate=surrogate)


def leaky_layer(x, mem, beta, threshold, surrogate, reset: str = "subtract",
                output: str = "spikes"):  # fmt: skip
    """LIF neurons over the time-major input currents ``x`` (T, ...), from the membrane
    ``mem`` (or zeros for None): spikes (T, ...), or spikes and membranes (2, T, ...)
    with ``output="both"``. ``beta`` and ``threshold`` broadcast against one step.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.snn import surrogate
        >>> x = ab.full((4, 1), 0.6)
        >>> spk = leaky_layer(x, None, ab.tensor(0.5), ab.tensor(1.0), surrogate.atan())
        >>> spk.flatten().tolist()
        [0.0, 0.0, 1.0, 0.0]
    """
    if reset not in RESETS:
        raise ValueError(f"leaky_layer: reset must be one of {RESETS}, got {reset!r}")
    if output not in ("spikes", "both"):
        raise ValueError(f"leaky_layer: output must be 'spikes' or 'both', got {output!r}")
    return LeakyLayer.apply(x, mem, beta, threshold, surrogate=surrogate, reset=reset,
                            output=output)  # fmt: skip
