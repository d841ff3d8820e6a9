"""The graph layers against dense references written here (values and every gradient),
permutation equivariance of every layer and invariance of pooling (hypothesis), and the
edge-list utilities against their definitions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abinitio as ab
from abinitio import graph as G
from abinitio import nn


def random_graph(n, p, seed):
    """A random undirected graph as (edge_index (2, E), dense adjacency A[target, source])."""
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((n, n)) < p, 1)
    a = (upper | upper.T).astype(np.float32)
    target, source = np.nonzero(a)
    return np.stack([source, target]).astype(np.int64), a


def features(n, f, seed=1):
    return np.random.default_rng(seed).standard_normal((n, f)).astype(np.float32)


def check_same(layer, edges, x, dense_forward):
    """forward(x) and dense_forward(x) agree, and so do the gradients of x and of every
    parameter (after the same upstream gradient)."""
    ours_x, ref_x = ab.tensor(x, requires_grad=True), ab.tensor(x, requires_grad=True)
    out = layer(ours_x, edges)
    grads = {}
    weights = ab.tensor(np.random.default_rng(5).standard_normal(out.shape).astype(np.float32))
    (out * weights).sum().backward()
    grads = {name: p.grad.numpy().copy() for name, p in layer.named_parameters()}
    layer.zero_grad()
    expected = dense_forward(ref_x)
    (expected * weights).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(ours_x.grad.numpy(), ref_x.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)  # fmt: skip


def test_gcn_equals_the_dense_normalised_adjacency():
    edges, a = random_graph(9, 0.35, 0)
    layer = G.GCNConv(4, 3)
    a_hat = a + np.eye(9, dtype=np.float32)
    d = a_hat.sum(1) ** -0.5
    norm = ab.tensor(d[:, None] * a_hat * d[None, :])  # D^-1/2 (A + I) D^-1/2
    check_same(layer, edges, features(9, 4), lambda x: norm @ layer.lin(x) + layer.bias)


def test_gcn_sparse_product_equals_gather_scale_scatter():
    edges, _ = random_graph(12, 0.3, 1)
    layer, x = G.GCNConv(5, 2, bias=False), ab.tensor(features(12, 5))
    normalized_edges, weights = layer.normalized(edges, 12)
    with ab.no_grad():
        by_messages = layer.propagate(normalized_edges, x=layer.lin(x), edge_weight=weights)
        fused = layer(x, edges)
    np.testing.assert_allclose(fused.numpy(), by_messages.numpy(), rtol=1e-5, atol=1e-6)


def test_gcn_with_learned_edge_weights_gets_their_gradient():
    edges, _ = random_graph(6, 0.6, 2)
    w = np.random.default_rng(0).uniform(0.5, 2, edges.shape[1])
    layer = G.GCNConv(3, 2).double()
    x = ab.tensor(features(6, 3), dtype=ab.float64)
    assert ab.gradcheck(lambda weights: layer(x, edges, weights), [ab.tensor(w, dtype=ab.float64,
                        requires_grad=True)])  # fmt: skip


def test_sage_equals_mean_of_neighbours_plus_root():
    edges, a = random_graph(8, 0.4, 3)
    layer = G.SAGEConv(4, 3)
    mean = ab.tensor(a / np.maximum(a.sum(1, keepdims=True), 1))
    check_same(layer, edges, features(8, 4), lambda x: layer.lin_l(mean @ x) + layer.lin_r(x))


def test_gin_equals_mlp_of_self_plus_neighbour_sum():
    edges, a = random_graph(8, 0.4, 4)
    layer = G.GINConv(nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)), eps=0.3,
                      train_eps=True)  # fmt: skip
    adjacency = ab.tensor(a)
    check_same(layer, edges, features(8, 4), lambda x: layer.nn(x * (1 + layer.eps) + adjacency @ x))


def dense_gat(layer, a, x):
    """Attention over the dense adjacency with self loops: masked softmax per target."""
    n, heads, channels = x.shape[0], layer.heads, layer.out_channels
    z = layer.lin(x).reshape(n, heads, channels)
    src = (z * layer.att_src).sum(-1)  # (n, heads)
    dst = (z * layer.att_dst).sum(-1)
    scores = dst.T.unsqueeze(-1) + src.T.unsqueeze(1)  # (heads, target, source)
    scores = ab.nn.functional.leaky_relu(scores, layer.negative_slope)
    mask = ab.tensor(np.broadcast_to((a + np.eye(n)) > 0, scores.shape))
    alpha = ab.where(mask, scores, -1e9).softmax(-1)
    out = (alpha @ z.permute(1, 0, 2)).permute(1, 0, 2)  # (n, heads, channels)
    out = out.reshape(n, heads * channels) if layer.concat else out.mean(1)
    return out + layer.bias


@pytest.mark.parametrize("concat", [True, False])
def test_gat_equals_masked_dense_attention(concat):
    edges, a = random_graph(7, 0.4, 5)
    layer = G.GATConv(4, 3, heads=2, concat=concat)
    check_same(layer, edges, features(7, 4), lambda x: dense_gat(layer, a, x))


def test_gat_attention_weights_sum_to_one_per_target():
    edges, _ = random_graph(10, 0.3, 6)
    with ab.no_grad():
        _, (att_edges, alpha) = G.GATConv(3, 2, heads=4)(ab.tensor(features(10, 3)), edges,
                                                         return_attention_weights=True)  # fmt: skip
    totals = np.zeros((10, 4))
    np.add.at(totals, att_edges.numpy()[1], alpha.detach().numpy())
    np.testing.assert_allclose(totals, 1.0, rtol=1e-5)
    assert att_edges.shape[1] == edges.shape[1] + 10  # one self loop per node


def test_max_aggregation_and_empty_nodes():
    edges = np.array([[0, 1, 2], [2, 2, 0]])
    x = ab.tensor([[1.0, -5.0], [3.0, -7.0], [0.0, 0.0], [9.0, 9.0]])
    out = G.aggregate(x.index_select(0, edges[0]), edges[1], 4, "max")
    assert out.tolist() == [[0.0, 0.0], [0.0, 0.0], [3.0, -5.0], [0.0, 0.0]]


LAYERS = {
    "gcn": lambda: G.GCNConv(3, 4),
    "sage": lambda: G.SAGEConv(3, 4),
    "sage_max": lambda: G.SAGEConv(3, 4, aggr="max"),
    "gin": lambda: G.GINConv(nn.Sequential(nn.Linear(3, 4), nn.ReLU())),
    "gat": lambda: G.GATConv(3, 2, heads=2),
}


@pytest.mark.parametrize("name", list(LAYERS))
@settings(max_examples=10)
@given(n=st.integers(2, 10), p=st.floats(0.1, 0.8), seed=st.integers(0, 10_000))
def test_layers_are_permutation_equivariant(name, n, p, seed):
    edges, _ = random_graph(n, p, seed)
    x = features(n, 3, seed)
    perm = np.random.default_rng(seed).permutation(n)  # new node i is old node perm[i]
    inverse = np.argsort(perm)
    layer = LAYERS[name]()
    with ab.no_grad():
        out = layer(ab.tensor(x), edges).numpy()
        permuted = layer(ab.tensor(x[perm]), inverse[edges]).numpy()
    np.testing.assert_allclose(permuted, out[perm], rtol=1e-4, atol=1e-5)


@settings(max_examples=15)
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 999))
def test_pooling_is_permutation_invariant_and_per_graph(sizes, seed):
    rng = np.random.default_rng(seed)
    batch = np.repeat(np.arange(len(sizes)), sizes)
    x = rng.standard_normal((len(batch), 3)).astype(np.float32)
    perm = rng.permutation(len(batch))
    for pool, reduce in ((G.global_add_pool, np.sum), (G.global_mean_pool, np.mean),
                         (G.global_max_pool, np.max)):  # fmt: skip
        out = pool(ab.tensor(x), ab.tensor(batch)).numpy()
        shuffled = pool(ab.tensor(x[perm]), ab.tensor(batch[perm])).numpy()
        expected = np.stack([reduce(x[batch == g], 0) for g in range(len(sizes))])
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(shuffled, out, rtol=1e-5, atol=1e-6)


def test_gcn_norm_matches_its_definition_and_self_loops_are_added():
    edges, a = random_graph(6, 0.5, 7)
    full, weights = G.gcn_norm(edges, num_nodes=6)
    dense = np.zeros((6, 6), np.float32)
    dense[full[1], full[0]] = weights.numpy()
    a_hat = a + np.eye(6)
    d = a_hat.sum(1) ** -0.5
    np.testing.assert_allclose(dense, d[:, None] * a_hat * d[None, :], rtol=1e-5)
    assert G.degree(edges[1], 6).tolist() == a.sum(1).tolist()
    assert G.to_undirected(np.array([[0, 0], [1, 1]])).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: G.GCNConv(3, 2)(ab.ones(4, 3), np.array([[0, 4], [1, 0]])), "node 4, out of"),
        (lambda: G.GCNConv(3, 2)(ab.ones(4, 3), np.array([[0, -1], [1, 0]])), "negative"),
        (lambda: G.GCNConv(3, 2)(ab.ones(4, 3), np.array([[0.0, 1.0], [1.0, 0.0]])), "integer"),
        (lambda: G.GCNConv(3, 2)(ab.ones(4, 3), np.array([0, 1])), r"shape \(2, num_edges\)"),
        (lambda: G.GATConv(3, 2)(ab.ones(4, 5), np.array([[0], [1]])), r"\(num_nodes, 3\)"),
        (lambda: G.global_add_pool(ab.ones(4, 2), ab.tensor([0, 0, 1])), r"shape \(4,\)"),
        (lambda: G.MessagePassing(aggr="median"), "aggr must be one of"),
    ],
)  # fmt: skip
def test_bad_input_names_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
