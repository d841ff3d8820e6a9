"""Encoders, losses and readouts, recording and statistics."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import snn
from abinitio.snn import functional as SF
from abinitio.snn import spikegen
from helpers import require


# ---- encoders -----------------------------------------------------------------------------
def test_rate_code_is_bernoulli_with_the_given_probability_and_seeded():
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0], np.float32)
    gen = ab.Generator(3)
    spikes = spikegen.rate(ab.tensor(p), num_steps=4000, generator=gen).numpy()
    assert spikes.shape == (4000, 5) and set(np.unique(spikes)) <= {0.0, 1.0}
    # mean within 4 binomial standard errors
    np.testing.assert_allclose(spikes.mean(0), p, atol=4 * np.sqrt(0.25 / 4000))
    again = spikegen.rate(ab.tensor(p), num_steps=4000, generator=ab.Generator(3)).numpy()
    np.testing.assert_array_equal(spikes, again)


def test_rate_refuses_probabilities_outside_unit_interval():
    with pytest.raises(ValueError, match=r"probabilities must be in \[0, 1\]"):
        spikegen.rate(ab.tensor([0.5, 1.5]), num_steps=5)
    with pytest.raises(ValueError, match="num_steps must be a positive integer"):
        spikegen.rate(ab.tensor([0.5]), num_steps=0)


def test_latency_linear_and_log():
    x = ab.tensor([1.0, 0.75, 0.5, 0.25, 0.005])
    s = spikegen.latency(x, num_steps=9, linear=True, normalize=True).numpy()
    assert s.sum(0).tolist() == [1, 1, 1, 1, 1]  # one spike each
    # linear: t = (T - 1) (1 - x) / (1 - threshold), rounded; below threshold: the last step
    expected = np.round(8 * (1 - np.array([1.0, 0.75, 0.5, 0.25])) / 0.99)
    assert s.argmax(0).tolist() == [*expected.astype(int).tolist(), 8]
    clipped = spikegen.latency(x, num_steps=9, linear=True, normalize=True, clip=True).numpy()
    assert clipped[:, 4].sum() == 0
    # log: the RC charging time tau ln(x / (x - threshold)); larger x fires earlier
    times = spikegen.latency_times(np.array([1.0, 0.5]), 10, tau=5, threshold=0.2)
    np.testing.assert_allclose(times, 5 * np.log([1 / 0.8, 0.5 / 0.3]), rtol=1e-6)


def test_delta_modulation():
    x = ab.tensor([[0.0], [0.2], [0.6], [0.6], [0.1]])
    assert spikegen.delta(x, threshold=0.3).flatten().tolist() == [0, 0, 1, 0, 0]
    off = spikegen.delta(x, threshold=0.3, off_spike=True).flatten().tolist()
    assert off == [0, 0, 1, 0, -1]
    assert spikegen.delta(ab.tensor([[1.0]]), padding=True).item() == 0
    assert spikegen.delta(ab.tensor([[1.0]])).item() == 1


# ---- losses and readouts ------------------------------------------------------------------
SPK = np.random.default_rng(0).integers(0, 2, (6, 4, 3)).astype(np.float32)
Y = np.array([0, 2, 1, 2])


def test_count_losses_and_accuracy_by_hand():
    counts = SPK.sum(0)
    logp = counts - np.log(np.exp(counts).sum(1, keepdims=True))
    expected = -logp[range(4), Y].mean()
    assert SF.ce_count_loss()(ab.tensor(SPK), Y).item() == pytest.approx(expected, rel=1e-5)
    target = np.where(np.eye(3)[Y] == 1, 0.8, 0.2)
    mse = ((counts / 6 - target) ** 2).mean()
    assert SF.mse_count_loss(0.8, 0.2)(ab.tensor(SPK), Y).item() == pytest.approx(mse, rel=1e-5)
    assert SF.accuracy_rate(ab.tensor(SPK), Y) == np.mean(counts.argmax(1) == Y)


def test_rate_and_membrane_losses_match_torch():
    torch = require("torch")
    F = torch.nn.functional
    x = ab.tensor(SPK * 1.5 - 0.2, requires_grad=True)
    xt = torch.tensor(SPK * 1.5 - 0.2, requires_grad=True)
    SF.ce_rate_loss()(x, Y).backward()
    yt = torch.tensor(Y)
    expected = sum(F.cross_entropy(xt[t], yt) for t in range(6)) / 6
    expected.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    goal = np.where(np.eye(3)[Y] == 1, 1.0, 0.0).astype(np.float32)
    m = SF.mse_membrane_loss(1.0, 0.0)(ab.tensor(SPK), Y).item()
    assert m == pytest.approx(float(((SPK - goal) ** 2).mean()), rel=1e-6)


def test_first_spike_time_and_temporal_losses():
    spk = np.zeros((5, 2, 3), np.float32)
    spk[2, 0, 0] = spk[4, 0, 0] = spk[1, 0, 1] = spk[3, 1, 2] = 1
    times = SF.first_spike_time(ab.tensor(spk)).numpy()
    assert times.tolist() == [[2, 1, 5], [5, 5, 3]]
    assert SF.accuracy_temporal(ab.tensor(spk), [1, 2]) == 1.0
    # gradients flow back to the spikes: an earlier spike of the target lowers the loss
    x = ab.tensor(spk, requires_grad=True)
    SF.ce_temporal_loss()(x, [0, 2]).backward()
    assert x.grad.numpy()[2, 0, 0] != 0
    loss = SF.mse_temporal_loss()(ab.tensor(spk), [1, 2]).item()
    goal = np.array([[5, 0, 5], [5, 5, 0]])
    assert loss == pytest.approx((((times - goal) / 5) ** 2).mean())


def test_loss_shape_errors():
    with pytest.raises(ValueError, match=r"expected a record \(T, N, C\)"):
        SF.ce_count_loss()(ab.ones(4, 3), Y)
    with pytest.raises(ValueError, match="4 samples in the record .* but 3 targets"):
        SF.ce_rate_loss()(ab.tensor(SPK), [0, 1, 2])
    with pytest.raises(ValueError, match="correct_rate must be in"):
        SF.mse_count_loss(correct_rate=2)


# ---- recording and statistics -------------------------------------------------------------
def test_monitor_records_every_layer_and_firing_rates():
    net = snn.SpikingMLP(6, (5,), 3, time_steps=7, encoding="none")
    x = ab.tensor((np.random.default_rng(0).random((4, 7, 6)) < 0.5).astype(np.float32))
    with snn.SpikeMonitor(net) as monitor:
        out = net(x)
    assert out.shape == (4, 3)  # the model's output is unchanged by the monitor
    assert list(monitor.spikes) == ["layers.1", "layers.3"]
    assert monitor.spikes["layers.1"].shape == (7, 4, 5)
    np.testing.assert_array_equal(monitor.spikes["layers.3"].sum(0), out.detach().numpy())
    rates = monitor.firing_rates()
    assert rates["layers.1"] == pytest.approx(monitor.spikes["layers.1"].mean())
    # a single-step neuron in a loop: one step per call
    lif = snn.Leaky(beta=0.5, init_hidden=True)
    with snn.SpikeMonitor(lif) as monitor:
        outs = [lif(ab.full((2,), 0.8)) for _ in range(3)]
    assert outs[0].shape == (2,)  # still the spikes only
    assert monitor.spikes[""].shape == (3, 2)
    np.testing.assert_allclose(monitor.membranes[""][:, 0], [0.8, 1.2, 0.4], rtol=1e-6)


def test_statistics_and_plots_refuse_non_binary_spikes():
    assert snn.sparsity(np.eye(4)) == 0.75
    np.testing.assert_allclose(snn.firing_rate(np.eye(4)), [0.25] * 4)
    with pytest.raises(ValueError, match=r"expected spikes \(0 or 1\), got values such as \[0.5\]"):
        snn.firing_rate(np.array([0.0, 0.5, 1.0]))
    from abinitio.snn import plots

    with pytest.raises(ValueError, match="expected spikes"):
        plots.raster(np.full((3, 2), 2.0))
    fig = plots.raster(np.eye(5))
    assert len(fig.axes[0].collections[0].get_offsets()) == 5
    fig = plots.membrane_traces(np.ones((5, 2)), threshold=1.0, spikes=np.eye(5)[:, :2])
    assert len(fig.axes[0].lines) == 3  # two traces and the threshold
    fig = plots.spike_counts_per_class(np.eye(3) * 4, np.arange(3))
    assert fig.axes[0].images[0].get_array()[1, 1] == 4
