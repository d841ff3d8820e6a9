"""Neuron models: closed-form LIF dynamics, each reset mode, bad input, and parity with
snnTorch (state trajectories and gradients on the same inputs and parameters)."""

import math
import operator

import numpy as np
import pytest

import abinitio as ab
from abinitio import snn
from helpers import require


def run_leaky(lif, currents):
    """Step ``lif`` over currents (T, ...); returns spikes and membranes (T, ...)."""
    mem = lif.init_leaky()
    spikes, mems = [], []
    for t in range(len(currents)):
        spk, mem = lif(ab.tensor(currents[t]), mem)
        spikes.append(spk.numpy())
        mems.append(mem.numpy())
    return np.array(spikes), np.array(mems)


# ---- closed forms -------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.5, 0.8, 0.95])
def test_subthreshold_membrane_converges_to_i_over_one_minus_beta(beta):
    current = 0.9 * (1 - beta)  # below (1 - beta) theta: never fires
    spikes, mems = run_leaky(snn.Leaky(beta=beta), np.full((400, 1), current, np.float32))
    assert spikes.sum() == 0
    np.testing.assert_allclose(mems[-1, 0], current / (1 - beta), rtol=1e-4)
    # and exactly the geometric sum on the way: U[t] = I (1 - beta^t) / (1 - beta)
    t = np.arange(1, 21)
    np.testing.assert_allclose(mems[:20, 0], current * (1 - beta**t) / (1 - beta), rtol=1e-5)


@pytest.mark.parametrize("beta,current", [(0.9, 0.3), (0.8, 0.5), (1.0, 0.3)])
def test_interspike_interval_with_reset_to_zero_matches_formula(beta, current):
    # reset to zero: after each spike the membrane restarts from 0 at the next step (the
    # reset of step t is decided at step t-1), so the n-th spike comes after k steps, where
    # k is the first k with I (1 - beta^k)/(1 - beta) > theta, then every k + 1 steps
    spikes, _ = run_leaky(snn.Leaky(beta=beta, reset_mechanism="zero"),
                          np.full((200, 1), current, np.float32))  # fmt: skip
    times = np.nonzero(spikes[:, 0])[0]
    if beta < 1:
        k = math.ceil(math.log(1 - (1 - beta) / current) / math.log(beta))
        while current * (1 - beta**k) / (1 - beta) <= 1:
            k += 1
    else:
        k = math.floor(1 / current) + 1
    assert times[0] == k - 1  # 0-based step index
    assert set(np.diff(times)) == {k}


def test_reset_by_subtraction_keeps_the_excess_and_fires_at_rate_i_over_theta():
    # beta = 1 (no leak), subtract reset: an integrate-and-fire neuron whose long-run rate
    # is I / theta exactly, whatever the phase
    currents = np.full((1000, 1), 0.37, np.float32)
    spikes, mems = run_leaky(snn.Leaky(beta=1.0, threshold=1.0), currents)
    assert abs(spikes.sum() - 370) <= 1
    # the excess above theta is kept: U after the reset step = U_before - theta + I
    t = int(np.nonzero(spikes[:, 0])[0][0])
    np.testing.assert_allclose(mems[t + 1, 0], mems[t, 0] - 1.0 + 0.37, rtol=1e-5)


def test_reset_none_only_integrates():
    spikes, mems = run_leaky(snn.Leaky(beta=0.5, reset_mechanism="none"),
                             np.full((30, 1), 1.0, np.float32))  # fmt: skip
    np.testing.assert_allclose(mems[-1, 0], 2.0, rtol=1e-5)  # I / (1 - beta), no reset
    assert spikes[1:, 0].all()  # above theta from step 2 on: a spike every step


def test_spike_means_strictly_above_threshold():
    lif = snn.Leaky(beta=0.0, threshold=1.0)
    spk, mem = lif(ab.tensor([1.0, 1.0 + 1e-6, 0.999]))
    assert spk.tolist() == [0.0, 1.0, 0.0]


def test_init_hidden_keeps_the_state_and_refuses_an_explicit_one():
    lif = snn.Leaky(beta=0.5, init_hidden=True)
    out = [lif(ab.tensor([0.8])).item() for _ in range(3)]
    assert out == [0.0, 1.0, 0.0]
    assert lif.mem.item() == pytest.approx(0.4)
    with pytest.raises(TypeError, match="keeps its state inside"):
        lif(ab.tensor([0.8]), ab.tensor([0.0]))
    snn.utils.reset(lif)
    assert lif.mem.shape == (0,)


def test_learnable_per_neuron_beta_and_threshold_get_gradients():
    lif = snn.Leaky(beta=[0.5, 0.9], threshold=[1.0, 0.5], learn_beta=True, learn_threshold=True)
    assert {name for name, _ in lif.named_parameters()} == {"beta", "threshold"}
    mem = lif.init_leaky()
    total = 0
    for _ in range(5):
        spk, mem = lif(ab.tensor([[0.7, 0.4]]), mem)
        total = total + spk.sum() + mem.sum()
    total.backward()
    assert lif.beta.grad.shape == (2,) and np.all(lif.beta.grad.numpy() != 0)
    assert lif.threshold.grad.shape == (2,) and np.all(lif.threshold.grad.numpy() != 0)


def test_lapicque_rc_circuit():
    # beta = exp(-dt / RC); the membrane relaxes to R I when subthreshold
    neuron = snn.Lapicque(R=5.0, C=2.0, time_step=0.1, threshold=10.0)
    assert neuron.beta.item() == pytest.approx(math.exp(-0.01))
    mem = neuron.init_lapicque()
    for _ in range(3000):
        spk, mem = neuron(ab.tensor([1.0]), mem)
    assert spk.item() == 0
    assert mem.item() == pytest.approx(5.0, rel=1e-3)
    from_beta = snn.Lapicque(beta=0.9, R=2.0)
    assert from_beta.C == pytest.approx(1 / (2.0 * math.log(1 / 0.9)))


def test_rleaky_feeds_its_spikes_back():
    lif = snn.RLeaky(beta=0.5, all_to_all=False, V=0.5)
    spk, mem = lif.init_rleaky()
    record = []
    for _ in range(4):
        spk, mem = lif(ab.tensor([1.2]), spk, mem)
        record.append(round(mem.item(), 4))
    # U1 = 1.2 (spike), U2 = 0.6 + 1.2 + 0.5 - 1 = 1.3 (spike), U3 = 0.65 + 1.2 + 0.5 - 1
    assert record[:3] == [1.2, 1.3, 1.35]
    net = snn.RSynaptic(alpha=0.5, beta=0.5, linear_features=3)
    spk, syn, mem = net(ab.ones(2, 3))
    assert spk.shape == syn.shape == mem.shape == (2, 3)
    assert len(list(net.parameters())) == 2  # the recurrent Linear's weight and bias


# ---- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [-0.1, 1.5, [0.5, 2.0], float("nan")])
def test_beta_outside_unit_interval_is_refused(beta):
    with pytest.raises(ValueError, match="beta must be"):
        snn.Leaky(beta=beta)


@pytest.mark.parametrize("threshold", [0.0, -1.0, [1.0, 0.0]])
def test_nonpositive_threshold_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold must be > 0"):
        snn.Leaky(beta=0.9, threshold=threshold)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="reset_mechanism must be"):
        snn.Leaky(beta=0.9, reset_mechanism="soft")
    with pytest.raises(ValueError, match="alpha must be greater than beta"):
        snn.Alpha(alpha=0.5, beta=0.8)
    with pytest.raises(ValueError, match="alpha must be in"):
        snn.Synaptic(alpha=1.2, beta=0.5)
    with pytest.raises(ValueError, match="give beta, or both R and C"):
        snn.Lapicque(R=1.0)
    with pytest.raises(ValueError, match="linear_features"):
        snn.RLeaky(beta=0.9)
    with pytest.raises(TypeError, match="spike_grad must be a surrogate"):
        snn.Leaky(beta=0.9, spike_grad="atan")


# ---- parity with snnTorch -----------------------------------------------------------------
def _snntorch():
    require("torch")
    return require("snntorch")


def _compare(ours, theirs, inputs, n_states, learn, recurrent=False):
    """Step both neurons over the same inputs; compare every state at every step, then
    the gradients of the same weighted sum w.r.t. the input and the parameters (dotted
    names, e.g. "recurrent.weight"). A recurrent neuron gets its own spikes back as its
    first state."""
    torch = require("torch")
    x = ab.tensor(inputs, requires_grad=True)
    xt = torch.tensor(inputs, requires_grad=True)
    states = [None] * n_states
    states_t = [None] * n_states
    weights = np.random.default_rng(1).standard_normal(inputs.shape).astype(np.float32)
    total, total_t = 0, 0
    for t in range(len(inputs)):
        out = ours(x[t], *states)
        out_t = theirs(xt[t], *[s for s in states_t]) if states_t[0] is not None else theirs(xt[t])
        for a, b in zip(out, out_t):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                       atol=1e-5, err_msg=f"step {t}")  # fmt: skip
        first = 0 if recurrent else 1
        states, states_t = list(out[first:]), list(out_t[first:])
        w = ab.tensor(weights[t])
        total = total + (out[0] * w).sum() + (out[-1] * w).sum()
        total_t = total_t + (out_t[0] * torch.tensor(weights[t])).sum()
        total_t = total_t + (out_t[-1] * torch.tensor(weights[t])).sum()
    total.backward()
    total_t.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name in learn:
        get = operator.attrgetter(name)
        np.testing.assert_allclose(get(ours).grad.numpy(), get(theirs).grad.numpy(),
                                   rtol=1e-4, atol=1e-4, err_msg=name)  # fmt: skip


INPUTS = np.random.default_rng(0).uniform(-0.2, 1.0, (30, 4, 5)).astype(np.float32)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "atan"])
def test_leaky_matches_snntorch(reset, surrogate):
    snntorch = _snntorch()
    import snntorch.surrogate as sts

    grad = getattr(snn.surrogate, surrogate)()
    ours = snn.Leaky(beta=0.8, threshold=0.7, reset_mechanism=reset, learn_beta=True,
                     learn_threshold=True, spike_grad=grad)  # fmt: skip
    theirs = snntorch.Leaky(beta=0.8, threshold=0.7, reset_mechanism=reset, learn_beta=True,
                            learn_threshold=True, spike_grad=getattr(sts, surrogate)())  # fmt: skip
    _compare(ours, theirs, INPUTS, 1, ("beta", "threshold"))


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_synaptic_matches_snntorch(reset):
    snntorch = _snntorch()
    ours = snn.Synaptic(alpha=0.7, beta=0.85, reset_mechanism=reset, learn_alpha=True,
                        learn_beta=True, learn_threshold=True)  # fmt: skip
    theirs = snntorch.Synaptic(alpha=0.7, beta=0.85, reset_mechanism=reset, learn_alpha=True,
                               learn_beta=True, learn_threshold=True)  # fmt: skip
    _compare(ours, theirs, INPUTS * 0.6, 2, ("alpha", "beta", "threshold"))


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_alpha_matches_snntorch(reset):
    snntorch = _snntorch()
    ours = snn.Alpha(alpha=0.9, beta=0.8, reset_mechanism=reset, learn_threshold=True)
    theirs = snntorch.Alpha(alpha=0.9, beta=0.8, reset_mechanism=reset, learn_threshold=True)
    _compare(ours, theirs, INPUTS, 3, ("threshold",))


def test_lapicque_matches_snntorch():
    snntorch = _snntorch()
    ours = snn.Lapicque(R=5.0, C=0.5, time_step=0.5)
    theirs = snntorch.Lapicque(R=5.0, C=0.5, time_step=0.5)
    _compare(ours, theirs, INPUTS * 0.5, 1, ())


def _same_recurrent_weights(ours, theirs):
    """snnTorch draws its recurrent Linear with torch's generator: give it ours."""
    torch = require("torch")
    with torch.no_grad():
        theirs.recurrent.weight.copy_(torch.tensor(ours.recurrent.weight.detach().numpy()))
        theirs.recurrent.bias.copy_(torch.tensor(ours.recurrent.bias.detach().numpy()))


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_rleaky_all_to_all_matches_snntorch(reset):
    snntorch = _snntorch()
    ours = snn.RLeaky(beta=0.8, linear_features=5, threshold=0.7, reset_mechanism=reset,
                      learn_beta=True, learn_threshold=True)  # fmt: skip
    theirs = snntorch.RLeaky(beta=0.8, linear_features=5, threshold=0.7, reset_mechanism=reset,
                             learn_beta=True, learn_threshold=True)  # fmt: skip
    _same_recurrent_weights(ours, theirs)
    _compare(ours, theirs, INPUTS, 2, ("beta", "threshold", "recurrent.weight",
                                       "recurrent.bias"), recurrent=True)  # fmt: skip


def test_rleaky_one_to_one_matches_snntorch():
    snntorch = _snntorch()
    torch = require("torch")
    v = np.linspace(-0.5, 0.5, 5).astype(np.float32)
    ours = snn.RLeaky(beta=0.9, V=v, all_to_all=False, learn_beta=True)
    theirs = snntorch.RLeaky(beta=0.9, V=torch.tensor(v), all_to_all=False, learn_beta=True)
    _compare(ours, theirs, INPUTS, 2, ("beta", "V"), recurrent=True)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_rsynaptic_all_to_all_matches_snntorch(reset):
    snntorch = _snntorch()
    ours = snn.RSynaptic(alpha=0.7, beta=0.85, linear_features=5, reset_mechanism=reset,
                         learn_alpha=True, learn_beta=True, learn_threshold=True)  # fmt: skip
    theirs = snntorch.RSynaptic(alpha=0.7, beta=0.85, linear_features=5, reset_mechanism=reset,
                                learn_alpha=True, learn_beta=True,
                                learn_threshold=True)  # fmt: skip
    _same_recurrent_weights(ours, theirs)
    _compare(ours, theirs, INPUTS * 0.6, 3, ("alpha", "beta", "threshold", "recurrent.weight",
                                             "recurrent.bias"), recurrent=True)  # fmt: skip


def test_rsynaptic_one_to_one_matches_snntorch():
    snntorch = _snntorch()
    torch = require("torch")
    v = np.linspace(-0.5, 0.5, 5).astype(np.float32)
    ours = snn.RSynaptic(alpha=0.7, beta=0.85, V=v, all_to_all=False, learn_alpha=True)
    theirs = snntorch.RSynaptic(alpha=0.7, beta=0.85, V=torch.tensor(v), all_to_all=False,
                                learn_alpha=True)  # fmt: skip
    _compare(ours, theirs, INPUTS * 0.6, 3, ("alpha", "V"), recurrent=True)
