"""A layer of LIF neurons that takes all time steps at once: (T, N, ...) in, spikes out.

A feed-forward spiking network can run *layer by layer* instead of step by step: the first
layer's spikes at every step depend only on its inputs, so a Linear or Conv2d before it
sees all T steps as one batch of T*N samples (one matrix product instead of T small ones),
and the neuron's time loop runs inside one fused primitive
(:class:`~abinitio.ops.spike.LeakyLayer`). ``fused=False`` runs the same maths as
ordinary operations (the composed reference that the tests check the fused one against).
"""

from __future__ import annotations

from abinitio.ops.spike import _reference_leaky_layer, leaky_layer
from abinitio.snn.neurons import Leaky
from abinitio.tensor import Tensor


class MultiStepLeaky(Leaky):
    """Leaky over a whole time-major sequence (SpikingJelly's multi-step mode, snnTorch's
    equations and reset timing):

        U[t] = beta U[t-1] + X[t] - S[t-1] theta,   S[t] = H(U[t] - theta),  t = 1..T

    Args:
        beta, threshold, spike_grad, learn_beta, learn_threshold, reset_mechanism: as in
            :class:`~abinitio.snn.Leaky`.
        time_steps: if given, inputs must have exactly this many steps.
        output: also return the membranes of every step.
        fused: one graph node with a hand-derived backward (fast); False: the composed
            loop of ordinary operations.

    Shape: input (T, N, *) -> spk (T, N, *), and mem (T, N, *) with ``output=True``.

    Example:
        >>> import abinitio as ab
        >>> layer = MultiStepLeaky(beta=0.5, output=True)
        >>> spk, mem = layer(ab.full((3, 1, 1), 0.8))
        >>> spk.flatten().tolist(), [round(v, 2) for v in mem.flatten().tolist()]
        ([0.0, 1.0, 0.0], [0.8, 1.2, 0.4])

    See the article docs/articles/spiking/training_through_time.py.
    """

    def __init__(self, beta, threshold=1.0, spike_grad=None, learn_beta: bool = False,
                 learn_threshold: bool = False, reset_mechanism: str = "subtract",
                 time_steps: int | None = None, output: bool = False,
                 fused: bool = True) -> None:  # fmt: skip
        super().__init__(beta, threshold, spike_grad, False, learn_beta, learn_threshold,
                         reset_mechanism, output)  # fmt: skip
        if time_steps is not None and time_steps <= 0:
            raise ValueError(f"MultiStepLeaky: time_steps must be positive, got {time_steps}")
        self.time_steps = time_steps
        self.fused = fused

    def forward(self, input: Tensor, mem: Tensor | None = None):
        if input.ndim < 2:
            raise ValueError(
                f"MultiStepLeaky: input must be time-major (T, N, ...), got shape {input.shape}"
            )
        if self.time_steps is not None and input.shape[0] != self.time_steps:
            raise ValueError(
                f"MultiStepLeaky: input has {input.shape[0]} time steps (shape "
                f"{input.shape}), expected time_steps={self.time_steps}"
            )
        if mem is not None and tuple(mem.shape) != tuple(input.shape[1:]):
            mem = None  # snnTorch's rule: a state of another shape starts from zeros
        if not self.fused:
            if mem is None:
                mem = input[0] * 0
            spk, mems = _reference_leaky_layer(input, mem, self.beta, self.threshold,
                                               self.spike_grad, self.reset_mechanism)  # fmt: skip
            return (spk, mems) if self.output else spk
        kind = "both" if self.output else "spikes"
        out = leaky_layer(input, mem, self.beta, self.threshold, self.spike_grad,
                          self.reset_mechanism, kind)  # fmt: skip
        return (out[0], out[1]) if self.output else out

    def extra_repr(self) -> str:
        return f"time_steps={self.time_steps}, fused={self.fused}, " + super().extra_repr()
