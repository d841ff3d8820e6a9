"""RNN, LSTM, GRU and their cells: PyTorch parity (outputs, final states, every gradient)
with weights loaded from a torch module's state dict, float64 gradchecks, the fused
primitives against their composed references, dropout between layers, and errors."""

import itertools

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.ops.recurrent import _reference_layer, _reference_rnn_cell, rnn_layer
from abinitio.ops.recurrent_gru import _reference_gru_cell, gru_layer
from abinitio.ops.recurrent_lstm import _reference_lstm_cell, lstm_layer

KINDS = {"rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
         "lstm": ("LSTM", {}), "gru": ("GRU", {})}  # fmt: skip
OPTIONS = list(itertools.product([1, 2], [False, True], [False, True], [False, True]))
OPTION_IDS = [f"layers{n}-bf{int(b)}-bi{int(d)}-h0{int(h)}" for n, b, d, h in OPTIONS]


def _pair(torch, kind, input_size, hidden_size, **options):
    """Our layer and PyTorch's, with PyTorch's weights loaded into ours unchanged."""
    name, extra = KINDS[kind]
    theirs = getattr(torch.nn, name)(input_size, hidden_size, **extra, **options)
    ours = getattr(nn, name)(input_size, hidden_size, **extra, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _run_both(torch, ours, theirs, x, states):
    """Forward both with copies of ``x`` and ``states``; backward a random weighting of the
    output and every final state; return ours and theirs as (tensors, leaves)."""
    results = []
    for lib, module in (("ab", ours), ("torch", theirs)):
        make = ab.tensor if lib == "ab" else torch.tensor
        leaves = [make(a, requires_grad=True) for a in [x, *states]]
        hx = None if not states else leaves[1] if len(states) == 1 else tuple(leaves[1:])
        output, final = module(leaves[0], hx)
        outs = [output, *(final if isinstance(final, tuple) else (final,))]
        rng = np.random.default_rng(3)
        loss = 0
        for out in outs:
            weights = rng.standard_normal(tuple(out.shape)).astype(np.float32)
            loss = loss + (out * make(weights)).sum()
        loss.backward()
        results.append((outs, leaves))
    return results


def _assert_same(torch, ours, theirs, x, states, atol=1e-4):
    (outs, leaves), (t_outs, t_leaves) = _run_both(torch, ours, theirs, x, states)
    for i, (a, b) in enumerate(zip(outs, t_outs)):
        assert a.shape == tuple(b.shape), f"output {i}: {a.shape} != {tuple(b.shape)}"
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol)
    for i, (a, b) in enumerate(zip(leaves, t_leaves)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, err_msg=f"in {i}")
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   atol=atol, err_msg=name)  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("layers, batch_first, bidirectional, with_h0", OPTIONS, ids=OPTION_IDS)
def test_layers_match_torch(torch, kind, layers, batch_first, bidirectional, with_h0):
    ours, theirs = _pair(torch, kind, 3, 5, num_layers=layers, batch_first=batch_first,
                         bidirectional=bidirectional)  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3) if batch_first else (6, 2, 3)).astype(np.float32)
    count = layers * (2 if bidirectional else 1)
    shape = (count, 2, 5)
    states = []
    if with_h0:
        states = [rng.standard_normal(shape).astype(np.float32)
                  for _ in range(2 if kind == "lstm" else 1)]  # fmt: skip
    _assert_same(torch, ours, theirs, x, states)


@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_sequence_and_no_bias_match_torch(torch, kind):
    ours, theirs = _pair(torch, kind, 2, 4, num_layers=2, bias=False, bidirectional=True)
    x = np.random.default_rng(1).standard_normal((5, 2)).astype(np.float32)
    states = [np.full((4, 4), 0.3, np.float32)] * (2 if kind == "lstm" else 1)
    _assert_same(torch, ours, theirs, x, states)


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_feature_batch_first_sequences_match_torch(torch, kind):
    ours, theirs = _pair(torch, kind, 1, 16, batch_first=True, bidirectional=True)
    x = np.random.default_rng(5).standard_normal((32, 9, 1)).astype(np.float32)
    _assert_same(torch, ours, theirs, x, [])


CELLS = {"rnn_tanh": ("RNNCell", {}), "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {})}  # fmt: skip


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_torch(torch, kind, batched, with_state):
    name, extra = CELLS[kind]
    theirs = getattr(torch.nn, name)(3, 4, **extra)
    ours = getattr(nn, name)(3, 4, **extra)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(2)
    lead = (5,) if batched else ()
    arrays = [rng.standard_normal(lead + (3,)).astype(np.float32)]
    if with_state:
        arrays += [rng.standard_normal(lead + (4,)).astype(np.float32)
                   for _ in range(2 if kind == "lstm" else 1)]  # fmt: skip
    results = []
    for make, module in ((ab.tensor, ours), (torch.tensor, theirs)):
        leaves = [make(a, requires_grad=True) for a in arrays]
        state = None if len(leaves) == 1 else leaves[1] if len(leaves) == 2 else tuple(leaves[1:])
        out = module(leaves[0], state)
        outs = out if isinstance(out, tuple) else (out,)
        sum((o * make(np.full(tuple(o.shape), 0.7 + k, np.float32))).sum()
            for k, o in enumerate(outs)).backward()  # fmt: skip
        results.append((outs, leaves, dict(module.named_parameters())))
    (outs, leaves, params), (t_outs, t_leaves, t_params) = results
    for a, b in zip(outs, t_outs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
    for a, b in zip(leaves, t_leaves):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-5)
    for key, param in params.items():
        np.testing.assert_allclose(param.grad.numpy(), t_params[key].grad.numpy(), atol=1e-5)


# ---- float64 gradchecks ----------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_gradcheck(cell):
    module = getattr(nn, cell)(3, 2).double()
    x = ab.randn(4, 3, dtype=ab.float64, requires_grad=True)
    h = ab.randn(4, 2, dtype=ab.float64, requires_grad=True)

    def fn(x, h, *params):
        out = module(x, (h, h * 0.5) if cell == "LSTMCell" else h)
        return ab.cat(out, dim=1) if isinstance(out, tuple) else out

    assert ab.gradcheck(fn, (x, h, *module.parameters()))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_small_fused_layer_gradcheck(name):
    module = getattr(nn, name)(2, 3, num_layers=2, bidirectional=True).double()
    x = ab.randn(4, 2, 2, dtype=ab.float64, requires_grad=True)

    def fn(x, *params):
        output, final = module(x)
        final = final if isinstance(final, tuple) else (final,)
        return ab.cat([output.flatten(), *(f.flatten() for f in final)])

    assert ab.gradcheck(fn, (x, *module.parameters()))


# ---- the fused primitives against their composed references ----------------------------------
def _fused_and_reference(kind, x, h0, c0, weights, reverse):
    """The fused primitive's output, and the same from the composed cell unrolled."""
    if kind == "lstm":
        return lstm_layer(x, h0, c0, *weights, reverse=reverse), _reference_lstm_layer(
            x, h0, c0, weights, reverse
        )
    if kind == "gru":
        fused = gru_layer(x, h0, *weights, reverse=reverse)
        reference, _ = _reference_layer(_reference_gru_cell, x, h0, weights, reverse=reverse)
        return fused, reference
    nonlinearity = kind.split("_")[1]
    fused = rnn_layer(x, h0, *weights, nonlinearity=nonlinearity, reverse=reverse)
    reference, _ = _reference_layer(_reference_rnn_cell, x, h0, weights, reverse=reverse,
                                    nonlinearity=nonlinearity)  # fmt: skip
    return fused, reference


def _reference_lstm_layer(x, h0, c0, weights, reverse):
    """The composed LSTM with every h_t and every c_t, (2, L, N, H) like the primitive."""
    hs, cs = [None] * x.shape[0], [None] * x.shape[0]
    state = (h0, c0)
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in order:
        state = _reference_lstm_cell(x[t], state, *weights)
        hs[t], cs[t] = state
    outputs, _ = _reference_layer(_reference_lstm_cell, x, (h0, c0), weights, reverse=reverse)
    np.testing.assert_array_equal(outputs.numpy(force=True), ab.stack(hs).numpy(force=True))
    return ab.stack([ab.stack(hs), ab.stack(cs)])


@pytest.mark.parametrize("kind, gates", [("rnn_tanh", 1), ("rnn_relu", 1), ("gru", 3),
                                         ("lstm", 4)])  # fmt: skip
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_primitive_equals_composed_reference(kind, gates, reverse):
    rng = np.random.default_rng(4)
    shapes = [(6, 3, 2), (3, 4), (3, 4), (gates * 4, 2), (gates * 4, 4), (gates * 4,),
              (gates * 4,)]  # fmt: skip
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    ours = [ab.tensor(a, dtype=ab.float64, requires_grad=True) for a in arrays]
    refs = [ab.tensor(a, dtype=ab.float64, requires_grad=True) for a in arrays]
    fused, _ = _fused_and_reference(kind, ours[0], ours[1], ours[2], ours[3:], reverse)
    _, reference = _fused_and_reference(kind, refs[0], refs[1], refs[2], refs[3:], reverse)
    np.testing.assert_allclose(fused.detach().numpy(), reference.detach().numpy(), atol=1e-12)
    weights = ab.tensor(rng.standard_normal(fused.shape))
    (fused * weights).sum().backward()
    (reference * weights).sum().backward()
    for i, (a, b) in enumerate(zip(ours, refs)):
        if b.grad is None:  # c0 outside the LSTM
            continue
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12, err_msg=str(i))


def test_fused_layer_is_one_graph_node_however_long_the_sequence():
    gru = nn.GRU(2, 3)
    x = ab.randn(2000, 1, 2, requires_grad=True)
    output, h_n = gru(x)
    assert output.grad_fn.name() == "GRULayerBackward"
    h_n.sum().backward()  # BPTT through 2,000 steps: no recursion, no graph of small ops
    assert np.isfinite(x.grad.numpy()).all()


# ---- dropout between layers --------------------------------------------------------------------
def _identity_relu_stack(dropout):
    """Two 1-unit ReLU layers with weight 1 and no recurrence: output = dropout(input)."""
    rnn = nn.RNN(1, 1, num_layers=2, nonlinearity="relu", bias=False, dropout=dropout)
    for name, param in rnn.named_parameters():
        param.array[...] = 1.0 if "ih" in name else 0.0
    return rnn


def test_dropout_between_layers_zeroes_and_rescales_in_training():
    rnn = _identity_relu_stack(0.5)
    output, _ = rnn(ab.ones(1000, 20, 1))
    values = output.detach().numpy()
    assert set(np.unique(values)) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - p)
    assert abs((values == 0).mean() - 0.5) < 0.02
    output, _ = rnn.eval()(ab.ones(1000, 20, 1))
    np.testing.assert_array_equal(output.detach().numpy(), 1.0)  # eval: no dropout


def test_dropout_is_not_applied_after_the_last_layer():
    rnn = nn.GRU(3, 4, num_layers=1, dropout=0.5)
    x = ab.randn(5, 2, 3)
    np.testing.assert_array_equal(rnn(x)[0].detach().numpy(), rnn.eval()(x)[0].detach().numpy())
    deep = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    first, second = deep(x)[0].detach().numpy(), deep(x)[0].detach().numpy()
    assert not np.allclose(first, second)  # training: fresh masks each call
    deep.eval()
    np.testing.assert_array_equal(deep(x)[0].detach().numpy(), deep(x)[0].detach().numpy())


# ---- parameters, names, initialisation, repr -----------------------------------------------------
def test_parameter_names_and_shapes_are_pytorchs(torch):
    for kind in KINDS:
        ours, theirs = _pair(torch, kind, 3, 5, num_layers=2, bidirectional=True)
        assert [(n, p.shape) for n, p in ours.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in theirs.named_parameters()
        ]
        assert len(ours.all_weights) == 4 and len(ours.all_weights[0]) == 4


def test_default_initialisation_is_uniform_in_one_over_sqrt_hidden():
    for module in (nn.LSTM(10, 64, num_layers=2), nn.GRUCell(10, 64), nn.RNN(10, 64)):
        values = np.concatenate([p.array.ravel() for p in module.parameters()])
        bound = 1 / np.sqrt(64)
        assert values.min() >= -bound and values.max() <= bound
        assert abs(values.std() - bound / np.sqrt(3)) < 0.01  # the std of U(-b, b)


def test_repr_reads_like_pytorchs():
    gru = nn.GRU(1, 6, batch_first=True, bidirectional=True)
    assert repr(gru) == "GRU(1, 6, batch_first=True, bidirectional=True)"
    assert (
        repr(nn.LSTM(4, 8, num_layers=2, dropout=0.25)) == "LSTM(4, 8, num_layers=2, dropout=0.25)"
    )
    assert repr(nn.RNNCell(2, 3, nonlinearity="relu")) == "RNNCell(2, 3, nonlinearity='relu')"


# ---- bad input -----------------------------------------------------------------------------------
def test_wrong_input_shape_names_the_layer_and_both_shapes():
    gru = nn.GRU(1, 6, batch_first=True, bidirectional=True)
    expected = ("GRU(1, 6, batch_first=True, bidirectional=True): expected input of shape "
                "(N, L, 1) or (L, 1), got (100, 40)")  # fmt: skip
    with pytest.raises(ValueError) as error:
        gru(ab.randn(100, 40))
    assert str(error.value) == expected
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): expected input of shape \(L, N, 3\)"):
        nn.LSTM(3, 4)(ab.randn(2, 5, 7, 3))


def test_wrong_initial_state_shape_is_a_clear_error():
    gru = nn.GRU(1, 6, batch_first=True, bidirectional=True)
    with pytest.raises(
        ValueError, match=r"initial state h_0 of shape \(2, 100, 6\).*got \(1, 100, 6\)"
    ):
        gru(ab.randn(100, 40, 1), ab.zeros(1, 100, 6))
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): .*c_0 .*got \(2, 5, 3\)"):
        lstm(ab.randn(7, 5, 3), (ab.zeros(2, 5, 4), ab.zeros(2, 5, 3)))
    with pytest.raises(TypeError, match=r"h_0 and c_0 \(a tuple\)"):
        lstm(ab.randn(7, 5, 3), ab.zeros(2, 5, 4))


def test_cells_refuse_wrong_shapes():
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): expected input of shape \(N, 3\)"):
        cell(ab.randn(2, 5))
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 4\), got \(2, 3\)"):
        cell(ab.randn(2, 3), ab.zeros(2, 3))
    with pytest.raises(TypeError, match="tuple"):
        nn.LSTMCell(3, 4)(ab.randn(2, 3), ab.zeros(2, 4))


def test_constructor_refuses_impossible_options():
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


def test_float64_layers_run_in_float64():
    lstm = nn.LSTM(2, 3, dtype=ab.float64)
    output, (h_n, c_n) = lstm(ab.randn(4, 2, 2, dtype=ab.float64))
    assert output.dtype == h_n.dtype == c_n.dtype == ab.float64
