"""Spiking neuron models as Modules with explicit state, in snnTorch's calling conventions.

A biological neuron collects charge from its synapses on the dendrites, integrates it on
the membrane of the soma (a capacitor that leaks through the membrane's resistance), and
when the membrane potential crosses a threshold it fires a spike down the axon and resets.
The leaky integrate-and-fire (LIF) neuron keeps exactly that, one time step at a time:

    U[t] = beta U[t-1] + I[t] - S[t-1] theta,    S[t] = H(U[t] - theta)

beta in [0, 1] is the leak per step (exp(-dt / RC) for an RC circuit), I[t] the input
current (the weighted spikes of the previous layer: the weights are synaptic strengths),
and the subtraction is the reset. Timing follows snnTorch: the reset applied at step t is
decided by the membrane of step t-1, so a recorded membrane may sit above the threshold
for the one step in which it spikes. A spike means U strictly above theta.

Calling conventions (snnTorch's)::

    lif = Leaky(beta=0.9)                       # spk, mem = lif(cur, mem)
    mem = lif.init_leaky()                      # an empty state: zeros of the input's shape
    syn, mem = Synaptic(alpha=0.8, beta=0.9).init_synaptic()
    lif = Leaky(beta=0.9, init_hidden=True)     # state kept inside: spk = lif(cur)
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.creation import zeros, zeros_like
from abinitio.nn.modules.linear import Linear
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter
from abinitio.ops.spike import RESETS
from abinitio.snn import surrogate as surrogates
from abinitio.tensor import Tensor


def _as_parameter_array(owner: str, name: str, value) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().numpy()
    array = np.asarray(value, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return array.copy()


def check_unit_interval(owner: str, name: str, value) -> np.ndarray:
    """A decay factor: every value in [0, 1]."""
    array = _as_parameter_array(owner, name, value)
    if np.any(array < 0) or np.any(array > 1):
        raise ValueError(f"{owner}: {name} must be in [0, 1], got {value!r}")
    return array


class SpikingNeuron(Module):
    """The parts every spiking neuron shares: the threshold, the spike function (a
    surrogate), the reset mechanism and where the hidden state lives.

    Args:
        threshold: theta > 0, a number or one value per neuron.
        spike_grad: a surrogate from :mod:`abinitio.snn.surrogate` (default
            ``atan()``, as in snnTorch).
        init_hidden: keep the state inside the module (``spk = lif(cur)``); reset it
            between samples with :meth:`reset_hidden` or :func:`abinitio.snn.utils.reset`.
        learn_threshold: make theta a Parameter.
        reset_mechanism: ``"subtract"`` (U -= theta after a spike), ``"zero"`` or ``"none"``.
        output: with ``init_hidden``, return the state too.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    state_names: tuple = ("mem",)

    def __init__(self, threshold=1.0, spike_grad=None, init_hidden: bool = False,
                 learn_threshold: bool = False, reset_mechanism: str = "subtract",
                 output: bool = False) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if reset_mechanism not in RESETS:
            raise ValueError(
                f"{name}: reset_mechanism must be 'subtract', 'zero' or 'none', "
                f"got {reset_mechanism!r}"
            )
        theta = _as_parameter_array(name, "threshold", threshold)
        if np.any(theta <= 0):
            raise ValueError(f"{name}: threshold must be > 0, got {threshold!r}")
        if spike_grad is not None and not callable(spike_grad):
            raise TypeError(f"{name}: spike_grad must be a surrogate, got {spike_grad!r}")
        self.spike_grad = spike_grad if spike_grad is not None else surrogates.atan()
        self.reset_mechanism = reset_mechanism
        self.init_hidden = init_hidden
        self.output = output
        self._register("threshold", theta, learn_threshold)
        self.reset_hidden()

    def _register(self, name: str, array: np.ndarray, learn: bool) -> None:
        if learn:
            setattr(self, name, Parameter(array))
        else:
            self.register_buffer(name, Tensor(array))

    def fire(self, mem: Tensor) -> Tensor:
        """S = H(U - theta), with the surrogate's gradient."""
        return self.spike_grad(mem - self.threshold)

    def mem_reset(self, mem: Tensor) -> Tensor:
        """r = H(U - theta) as a constant: whether the previous step spiked."""
        return (mem - self.threshold).gt(0).float().detach()

    def reset_hidden(self) -> None:
        """Forget the hidden state kept with ``init_hidden`` (empty: zeros on next use)."""
        for name in self.state_names:
            object.__setattr__(self, name, zeros(0))

    def detach_hidden(self) -> None:
        """Cut the kept state from the graph (truncated backpropagation through time)."""
        for name in self.state_names:
            object.__setattr__(self, name, getattr(self, name).detach())

    def _states(self, input: Tensor, given: tuple) -> list:
        """The states for this step: those given (or kept), zeros where missing or of
        another shape than the input (snnTorch's rule)."""
        if self.init_hidden:
            if any(state is not None for state in given):
                raise TypeError(
                    f"{type(self).__name__}(init_hidden=True) keeps its state inside: call "
                    "it with the input only"
                )
            given = tuple(getattr(self, name) for name in self.state_names)
        states = []
        for state in given:
            if state is None or tuple(state.shape) != tuple(input.shape):
                state = zeros_like(input)
            states.append(state)
        return states

    def _result(self, spk: Tensor, states: tuple):
        """(spk, *states) (a recurrent neuron's own spike state is not repeated); with
        ``init_hidden`` the states are kept and only spk is returned, unless ``output``."""
        shown = tuple(s for name, s in zip(self.state_names, states) if name != "spk")
        if not self.init_hidden:
            return (spk, *shown)
        for name, state in zip(self.state_names, states):
            object.__setattr__(self, name, state)
        return (spk, *shown) if self.output else spk

    def _empty_states(self):
        states = tuple(zeros(0) for _ in self.state_names)
        return states[0] if len(states) == 1 else states

    def extra_repr(self) -> str:
        return f"reset_mechanism={self.reset_mechanism!r}, spike_grad={self.spike_grad!r}"


class LIF(SpikingNeuron):
    """A spiking neuron with a membrane decay ``beta`` in [0, 1] (a number or one value
    per neuron; a Parameter with ``learn_beta``). Keyword arguments as in
    :class:`SpikingNeuron`.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    def __init__(self, beta, threshold=1.0, spike_grad=None, init_hidden: bool = False,
                 learn_beta: bool = False, learn_threshold: bool = False,
                 reset_mechanism: str = "subtract", output: bool = False) -> None:  # fmt: skip
        beta = check_unit_interval(type(self).__name__, "beta", beta)
        super().__init__(threshold, spike_grad, init_hidden, learn_threshold,
                         reset_mechanism, output)  # fmt: skip
        self._register("beta", beta, learn_beta)

    def _leak(self, mem: Tensor, reset: Tensor) -> Tensor:
        """b U[t-1] with the reset of this step applied (b = clamp(beta, 0, 1), so a
        learnt beta that leaves [0, 1] acts as its nearest bound)."""
        b = self.beta.clamp(0, 1)
        if self.reset_mechanism == "subtract":
            return b * mem - reset * self.threshold
        if self.reset_mechanism == "zero":
            return b * ((1 - reset) * mem)
        return b * mem


class Leaky(LIF):
    """The leaky integrate-and-fire neuron, first order (snnTorch's ``Leaky``):

        U[t] = beta U[t-1] + I[t] - R[t] theta,   R[t] = H(U[t-1] - theta)   (subtract)
        U[t] = beta (1 - R[t]) U[t-1] + I[t]                                  (zero)
        S[t] = H(U[t] - theta),   dS/dU := the surrogate's derivative

    Under a constant input I with beta < 1 the membrane approaches I / (1 - beta), so the
    neuron fires only when I > (1 - beta) theta. From rest, the first spike comes at the
    first t with I (1 - beta^t) / (1 - beta) > theta.

    Shape: input (N, *) -> spk (N, *), mem (N, *).

    Example:
        >>> import abinitio as ab
        >>> lif = Leaky(beta=0.5)
        >>> mem = lif.init_leaky()
        >>> for step in range(3):
        ...     spk, mem = lif(ab.tensor([0.8]), mem)
        >>> spk.tolist(), round(mem.item(), 3)
        ([0.0], 0.4)

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    def forward(self, input: Tensor, mem: Tensor | None = None):
        (mem,) = self._states(input, (mem,))
        mem = self._leak(mem, self.mem_reset(mem)) + input
        return self._result(self.fire(mem), (mem,))

    def init_leaky(self):
        """An empty membrane: the first call replaces it by zeros of the input's shape."""
        return self._empty_states()


class Synaptic(LIF):
    """LIF with a synaptic current, second order (snnTorch's ``Synaptic``): the input
    charges a synapse that decays by alpha, and the synapse charges the membrane.

        I_syn[t] = alpha I_syn[t-1] + X[t]
        U[t] = beta U[t-1] + I_syn[t] - R[t] theta          (subtract)
        U[t] = (1 - R[t]) (beta U[t-1] + I_syn[t])           (zero; I_syn is kept)
        S[t] = H(U[t] - theta)

    Shape: input (N, *) -> spk, syn, mem, each (N, *).

    Example:
        >>> import abinitio as ab
        >>> neuron = Synaptic(alpha=0.5, beta=0.5)
        >>> syn, mem = neuron.init_synaptic()
        >>> spk, syn, mem = neuron(ab.tensor([1.0]), syn, mem)
        >>> syn.item(), mem.item()
        (1.0, 1.0)

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    state_names = ("syn", "mem")

    def __init__(self, alpha, beta, threshold=1.0, spike_grad=None, init_hidden=False,
                 learn_alpha=False, learn_beta=False, learn_threshold=False,
                 reset_mechanism="subtract", output=False) -> None:  # fmt: skip
        alpha = check_unit_interval("Synaptic", "alpha", alpha)
        super().__init__(beta, threshold, spike_grad, init_hidden, learn_beta,
                         learn_threshold, reset_mechanism, output)  # fmt: skip
        self._register("alpha", alpha, learn_alpha)

    def forward(self, input: Tensor, syn: Tensor | None = None, mem: Tensor | None = None):
        syn, mem = self._states(input, (syn, mem))
        reset = self.mem_reset(mem)
        syn = self.alpha.clamp(0, 1) * syn + input
        mem = self._synaptic_membrane(syn, mem, reset)
        return self._result(self.fire(mem), (syn, mem))

    def _synaptic_membrane(self, syn, mem, reset):
        base = self.beta.clamp(0, 1) * mem + syn
        if self.reset_mechanism == "subtract":
            return base - reset * self.threshold
        if self.reset_mechanism == "zero":
            return base * (1 - reset)
        return base

    def init_synaptic(self):
        """Empty (syn, mem): zeros of the input's shape on first use."""
        return self._empty_states()


class Alpha(LIF):
    """The alpha neuron (snnTorch's ``Alpha``): an excitatory and an inhibitory synaptic
    current with decays alpha > beta, whose difference gives the membrane an
    alpha-function response to one input spike.

        E[t] = alpha E[t-1] + X[t],   F[t] = beta F[t-1] - X[t]
        tau = ln(alpha) / (ln(beta) - ln(alpha)) + 1,   U[t] = tau (E[t] + F[t])
        subtract: E[t] -= R[t] theta, F[t] -= R[t] F[t],  U[t] += R[t] F[t-1]
        zero:     E, F and U are multiplied by (1 - R[t]);   S[t] = H(U[t] - theta)

    (The reset terms are snnTorch's, kept so trajectories match it step for step.)

    Shape: input (N, *) -> spk, syn_exc, syn_inh, mem, each (N, *).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    state_names = ("syn_exc", "syn_inh", "mem")

    def __init__(self, alpha, beta, threshold=1.0, spike_grad=None, init_hidden=False,
                 learn_alpha=False, learn_beta=False, learn_threshold=False,
                 reset_mechanism="subtract", output=False) -> None:  # fmt: skip
        a = check_unit_interval("Alpha", "alpha", alpha)
        b = check_unit_interval("Alpha", "beta", beta)
        if np.any(a <= b):
            raise ValueError(f"Alpha: alpha must be greater than beta, got {alpha} <= {beta}")
        if np.any(b >= 1) or np.any(b <= 0):
            raise ValueError(f"Alpha: beta must be in (0, 1) (tau divides by ln beta), got {beta}")
        super().__init__(beta, threshold, spike_grad, init_hidden, learn_beta,
                         learn_threshold, reset_mechanism, output)  # fmt: skip
        self._register("alpha", a, learn_alpha)

    def forward(self, input, syn_exc=None, syn_inh=None, mem=None):
        exc, inh, mem = self._states(input, (syn_exc, syn_inh, mem))
        reset = self.mem_reset(mem)
        a, b = self.alpha.clamp(0, 1), self.beta.clamp(0, 1)
        new_exc = a * exc + input
        new_inh = b * inh - input
        tau = a.log() / (b.log() - a.log()) + 1
        new_mem = tau * (new_exc + new_inh)
        if self.reset_mechanism == "subtract":
            new_exc = new_exc - reset * self.threshold
            new_mem = new_mem + reset * inh
            new_inh = new_inh * (1 - reset)
        elif self.reset_mechanism == "zero":
            keep = 1 - reset
            new_exc, new_inh, new_mem = new_exc * keep, new_inh * keep, new_mem * keep
        return self._result(self.fire(new_mem), (new_exc, new_inh, new_mem))

    def init_alpha(self):
        """Empty (syn_exc, syn_inh, mem)."""
        return self._empty_states()


class Lapicque(LIF):
    """Lapicque's neuron (1907): the membrane as an RC circuit, R dC dU/dt = -U + R I,
    stepped by forward Euler with step dt (snnTorch's ``Lapicque``):

        U[t] = (1 - dt / (R C)) U[t-1] + (dt / C) I[t] - R[t] theta   (subtract)

    Give ``beta`` (then R = 1 unless given and C = dt / (R ln(1/beta))), or R and C (then
    beta = exp(-dt / (R C))). 1 - dt/(RC) is the first-order expansion of beta.

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    def __init__(self, beta=None, R=None, C=None, time_step=1.0, threshold=1.0,
                 spike_grad=None, init_hidden=False, learn_beta=False,
                 learn_threshold=False, reset_mechanism="subtract",
                 output=False) -> None:  # fmt: skip
        if beta is None and (R is None or C is None):
            raise ValueError("Lapicque: give beta, or both R and C")
        if time_step <= 0:
            raise ValueError(f"Lapicque: time_step must be > 0, got {time_step}")
        if beta is None:
            if R <= 0 or C <= 0:
                raise ValueError(f"Lapicque: R and C must be > 0, got R={R}, C={C}")
            beta = math.exp(-time_step / (R * C))
        else:
            b = float(check_unit_interval("Lapicque", "beta", beta).max())
            if not 0 < b < 1:
                raise ValueError(f"Lapicque: beta must be in (0, 1) to give R C, got {beta}")
            if R is None and C is None:
                R = 1.0
            if C is None:
                C = time_step / (R * math.log(1 / b))
            elif R is None:
                R = time_step / (C * math.log(1 / b))
        super().__init__(beta, threshold, spike_grad, init_hidden, learn_beta,
                         learn_threshold, reset_mechanism, output)  # fmt: skip
        self.R, self.C, self.time_step = float(R), float(C), float(time_step)

    def forward(self, input, mem=None):
        (mem,) = self._states(input, (mem,))
        reset = self.mem_reset(mem)
        rc = self.R * self.C
        base = input * (self.time_step / self.C) + mem * (1 - self.time_step / rc)
        if self.reset_mechanism == "subtract":
            base = base - reset * self.threshold
        elif self.reset_mechanism == "zero":
            base = base * (1 - reset)
        return self._result(self.fire(base), (base,))

    def init_lapicque(self):
        return self._empty_states()

    def extra_repr(self) -> str:
        return f"R={self.R:g}, C={self.C:g}, time_step={self.time_step:g}, " + super().extra_repr()


class _Recurrent:
    """The feedback path of RLeaky/RSynaptic: all-to-all (a Linear on the previous
    spikes) or one-to-one (each neuron's own spike times V)."""

    def _init_recurrent(self, V, all_to_all, linear_features, learn_recurrent):
        if all_to_all:
            if linear_features is None:
                raise ValueError(
                    f"{type(self).__name__}: all_to_all=True needs linear_features (the "
                    "layer's width) for its recurrent Linear"
                )
            self.recurrent = Linear(linear_features, linear_features)
            self.recurrent.requires_grad_(learn_recurrent)
        else:
            self._register("V", _as_parameter_array(type(self).__name__, "V", V),
                           learn_recurrent)  # fmt: skip

    def _feedback(self, spk):
        if "recurrent" in self._modules:
            return self.recurrent(spk)
        return spk * self.V


class RLeaky(_Recurrent, LIF):
    """Leaky with its output spikes fed back (snnTorch's ``RLeaky``):

        U[t] = beta U[t-1] + I[t] + W S[t-1] - R[t] theta   (all_to_all: W a Linear)
        U[t] = beta U[t-1] + I[t] + V S[t-1] - R[t] theta   (one-to-one)
        zero reset: U[t] = (1 - R[t]) (beta U[t-1] + I[t] + feedback)

    Shape: input (N, F) -> spk, mem (N, F).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    state_names = ("spk", "mem")

    def __init__(self, beta, V=1.0, all_to_all=True, linear_features=None, threshold=1.0,
                 spike_grad=None, init_hidden=False, learn_beta=False, learn_threshold=False,
                 learn_recurrent=True, reset_mechanism="subtract",
                 output=False) -> None:  # fmt: skip
        super().__init__(beta, threshold, spike_grad, init_hidden, learn_beta,
                         learn_threshold, reset_mechanism, output)  # fmt: skip
        self._init_recurrent(V, all_to_all, linear_features, learn_recurrent)

    def forward(self, input, spk=None, mem=None):
        spk, mem = self._states(input, (spk, mem))
        reset = self.mem_reset(mem)
        base = self.beta.clamp(0, 1) * mem + input + self._feedback(spk)
        if self.reset_mechanism == "subtract":
            base = base - reset * self.threshold
        elif self.reset_mechanism == "zero":
            base = base * (1 - reset)
        spk = self.fire(base)
        return self._result(spk, (spk, base))

    def init_rleaky(self):
        """Empty (spk, mem)."""
        return self._empty_states()


class RSynaptic(_Recurrent, LIF):
    """Synaptic with its output spikes fed back into the synaptic current (snnTorch's
    ``RSynaptic``): I_syn[t] = alpha I_syn[t-1] + X[t] + W S[t-1], then as Synaptic.

    Shape: input (N, F) -> spk, syn, mem (N, F).

    See the article docs/articles/spiking/spiking_neurons.py.
    """

    state_names = ("spk", "syn", "mem")

    def __init__(self, alpha, beta, V=1.0, all_to_all=True, linear_features=None,
                 threshold=1.0, spike_grad=None, init_hidden=False, learn_alpha=False,
                 learn_beta=False, learn_threshold=False, learn_recurrent=True,
                 reset_mechanism="subtract", output=False) -> None:  # fmt: skip
        alpha = check_unit_interval("RSynaptic", "alpha", alpha)
        super().__init__(beta, threshold, spike_grad, init_hidden, learn_beta,
                         learn_threshold, reset_mechanism, output)  # fmt: skip
        self._register("alpha", alpha, learn_alpha)
        self._init_recurrent(V, all_to_all, linear_features, learn_recurrent)

    def forward(self, input, spk=None, syn=None, mem=None):
        spk, syn, mem = self._states(input, (spk, syn, mem))
        reset = self.mem_reset(mem)
        syn = self.alpha.clamp(0, 1) * syn + input + self._feedback(spk)
        mem = Synaptic._synaptic_membrane(self, syn, mem, reset)
        spk = self.fire(mem)
        return self._result(spk, (spk, syn, mem))

    def init_rsynaptic(self):
        """Empty (spk, syn, mem)."""
        return self._empty_states()
