"""Layers and utilities of issue 13 against torch: values, gradients, gradcheck."""

import warnings

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn.utils import rnn as ab_rnn

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 8, 3, 5)).astype(np.float32)
X3 = RNG.standard_normal((2, 3, 6)).astype(np.float32)

# name, (abinitio callable, torch callable) built from the modules of each, input
CASES = [
    ("elu", lambda m, x: m.nn.functional.elu(x, 0.7), X4),
    ("selu", lambda m, x: m.nn.functional.selu(x), X4),
    ("ELU", lambda m, x: m.nn.ELU()(x), X4),
    ("pixel_shuffle", lambda m, x: m.nn.PixelShuffle(2)(x), X4),
    ("pixel_unshuffle", lambda m, x: m.nn.PixelUnshuffle(2)(x[:, :, :2, :4]), X4),
    ("nearest_x2", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2), X4),
    ("nearest_size", lambda m, x: m.nn.functional.interpolate(x, size=(7, 4)), X4),
    ("nearest_1d", lambda m, x: m.nn.functional.interpolate(x, size=9), X3),
    ("linear_1d", lambda m, x: m.nn.functional.interpolate(x, size=9, mode="linear"), X3),
    ("bilinear_x2", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"), X4),
    ("bilinear_down", lambda m, x: m.nn.functional.interpolate(x, size=(2, 3), mode="bilinear"), X4),
    ("bilinear_corners", lambda m, x: m.nn.functional.interpolate(
        x, size=(5, 9), mode="bilinear", align_corners=True), X4),
    ("Upsample", lambda m, x: m.nn.Upsample(scale_factor=2, mode="nearest")(x), X4),
    ("instance_norm", lambda m, x: m.nn.functional.instance_norm(x), X4),
    ("InstanceNorm1d", lambda m, x: m.nn.InstanceNorm1d(3)(x), X3),
    ("ReflectionPad2d", lambda m, x: m.nn.ReflectionPad2d((1, 2, 2, 1))(x), X4),
    ("ReflectionPad1d", lambda m, x: m.nn.ReflectionPad1d(2)(x), X3),
    ("ReplicationPad2d", lambda m, x: m.nn.ReplicationPad2d(2)(x), X4),
    ("ZeroPad2d", lambda m, x: m.nn.ZeroPad2d((1, 0, 0, 1))(x), X4),
    ("ConstantPad2d", lambda m, x: m.nn.ConstantPad2d(1, 3.5)(x), X4),
]


@pytest.mark.parametrize("name,call,x", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_torch_values_and_gradients(torch, name, call, x):
    a, t = ab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = call(ab, a), call(torch, t)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    weights = RNG.standard_normal(tuple(expected.shape)).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,call,x", CASES[:2] + CASES[9:15], ids=[c[0] for c in CASES[:2] + CASES[9:15]])
def test_differentiable_functional_passes_gradcheck(name, call, x):
    a = ab.tensor(x[:1, :4].astype(np.float64), dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(lambda v: call(ab, v), (a,))


def test_instance_norm_with_affine_matches_torch(torch):
    ours, theirs = ab.nn.InstanceNorm2d(8, affine=True), torch.nn.InstanceNorm2d(8, affine=True)
    ours.weight.data = ab.tensor(RNG.standard_normal(8).astype(np.float32))
    theirs.weight.data = torch.from_numpy(ours.weight.numpy(force=True).copy())
    np.testing.assert_allclose(ours(ab.tensor(X4)).detach().numpy(),
                               theirs(torch.tensor(X4)).detach().numpy(), atol=1e-5)  # fmt: skip


def test_dropout2d_on_n_c_input_is_elementwise_as_in_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = ab.nn.Dropout2d(0.5)(ab.ones(8, 500)).numpy()
    per_row = (y == 0).mean(axis=1)
    assert ((per_row > 0.35) & (per_row < 0.65)).all()  # not whole rows: single elements
    assert set(np.unique(y)) == {0.0, 2.0}


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_packed_sequences_through_a_recurrent_layer_match_torch(torch, kind):
    x = RNG.standard_normal((3, 5, 4)).astype(np.float32)
    lengths = [2, 5, 3]
    ours = getattr(ab.nn, kind)(4, 6, num_layers=2, batch_first=True, bidirectional=True)
    theirs = getattr(torch.nn, kind)(4, 6, num_layers=2, batch_first=True, bidirectional=True)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    a, t = ab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    trnn = torch.nn.utils.rnn
    packed = ab_rnn.pack_padded_sequence(a, lengths, batch_first=True, enforce_sorted=False)
    tpacked = trnn.pack_padded_sequence(t, lengths, batch_first=True, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == tpacked.batch_sizes.tolist()
    out, h = ours(packed)
    tout, th = theirs(tpacked)
    padded, got_lengths = ab_rnn.pad_packed_sequence(out, batch_first=True)
    tpadded, _ = trnn.pad_packed_sequence(tout, batch_first=True)
    h, th = (h[0], th[0]) if kind == "LSTM" else (h, th)
    assert got_lengths.tolist() == lengths
    np.testing.assert_allclose(padded.detach().numpy(), tpadded.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), atol=1e-6)
    (padded.sum() + h.sum()).backward()
    (tpadded.sum() + th.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-5)


def test_pad_sequence_and_pack_sequence_match_torch(torch):
    seqs = [RNG.standard_normal((n, 2)).astype(np.float32) for n in (4, 1, 3)]
    for batch_first in (False, True):
        ours = ab_rnn.pad_sequence([ab.tensor(s) for s in seqs], batch_first, padding_value=-1)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first,
                                                 padding_value=-1)  # fmt: skip
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="not sorted longest first"):
        ab_rnn.pack_sequence([ab.tensor(s) for s in seqs])
    packed = ab_rnn.pack_sequence([ab.tensor(s) for s in seqs], enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.numpy(), tpacked.data.numpy())


def test_samplers():
    data = list(range(10))
    assert list(ab.data.SequentialSampler(data)) == data
    ab.manual_seed(0)
    order = list(ab.data.RandomSampler(data))
    assert sorted(order) == data and order != data
    assert len(list(ab.data.RandomSampler(data, replacement=True, num_samples=25))) == 25
    subset = list(ab.data.SubsetRandomSampler([1, 3, 5]))
    assert sorted(subset) == [1, 3, 5]
    drawn = list(ab.data.WeightedRandomSampler([0.0, 1.0, 3.0], 2000))
    assert set(drawn) == {1, 2} and abs(np.mean(np.array(drawn) == 2) - 0.75) < 0.04
    batches = list(ab.data.BatchSampler(ab.data.SequentialSampler(data), 4, drop_last=True))
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7]]
    loader = ab.data.DataLoader(ab.data.TensorDataset(ab.arange(10)), batch_size=3,
                                sampler=ab.data.SubsetRandomSampler([0, 2, 4, 6]))  # fmt: skip
    assert sorted(sum((b[0].tolist() for b in loader), [])) == [0, 2, 4, 6]


@pytest.mark.parametrize("batch_first,norm_first", [(False, False), (True, True)])
def test_transformer_matches_torch_from_the_same_state_dict(torch, batch_first, norm_first):
    options = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                   dim_feedforward=16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    ours, theirs = ab.nn.Transformer(**options), torch.nn.Transformer(**options).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    src = RNG.standard_normal((5, 3, 8)).astype(np.float32)
    tgt = RNG.standard_normal((4, 3, 8)).astype(np.float32)
    if batch_first:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    mask = ab.nn.Transformer.generate_square_subsequent_mask(4)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    a, t = ab.tensor(tgt, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    out = ours(ab.tensor(src), a, tgt_mask=mask)
    expected = theirs(torch.tensor(src), t, tgt_mask=tmask)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=2e-6)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=2e-5)
    with pytest.raises(ValueError, match="same batch size"):
        ours(ab.zeros(5, 2, 8), ab.zeros(4, 3, 8))


def test_lbfgs_follows_torch_step_for_step_in_float64(torch):
    # float64: L-BFGS amplifies float32 rounding over its inner iterations, so the two
    # implementations are compared where rounding cannot hide a difference in the algorithm
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 1))
    ours = ab.nn.Sequential(ab.nn.Linear(4, 8), ab.nn.Tanh(), ab.nn.Linear(8, 1)).to(ab.float64)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    options = dict(lr=0.5, history_size=5, max_iter=10)
    opt_a, opt_t = ab.optim.LBFGS(ours.parameters(), **options), torch.optim.LBFGS(theirs.parameters(), **options)

    def closure_a():
        opt_a.zero_grad()
        loss = ((ours(ab.tensor(x, dtype=ab.float64)) - ab.tensor(y, dtype=ab.float64)) ** 2).mean()
        loss.backward()
        return loss

    def closure_t():
        opt_t.zero_grad()
        loss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        loss.backward()
        return loss

    losses = [(opt_a.step(closure_a).item(), opt_t.step(closure_t).item()) for _ in range(5)]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-8)
    assert losses[-1][0] < 0.5 * losses[0][0]
    assert opt_a.state[ours[0].weight]["func_evals"] == opt_t.state[theirs[0].weight]["func_evals"]
    with pytest.raises(NotImplementedError, match="strong_wolfe"):
        ab.optim.LBFGS(ours.parameters(), line_search_fn="strong_wolfe")
