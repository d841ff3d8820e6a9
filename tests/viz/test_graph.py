"""draw_graph: the autograd graph as DOT text, with values, gradients and names."""

import re

import pytest

import abinitio as ab
from abinitio.viz import draw_graph, to_dot


def test_every_node_and_edge_of_a_small_expression():
    x = ab.tensor(2.0, requires_grad=True)
    w = ab.tensor(-1.5, requires_grad=True)
    y = (x * w + 1.0).tanh()
    dot = to_dot(y, labels={x: "x", w: "w"})
    operations = re.findall(r'label="(\w+Backward)"', dot)
    assert sorted(operations) == ["AddBackward", "MulBackward", "TanhBackward"]
    assert dot.count("->") == 3 + 4  # op -> output for 3 ops; x, w -> mul; mul -> add -> tanh
    assert "x\\nscalar\\ndata 2" in dot and "(leaf, requires grad)" in dot


def test_gradients_appear_after_backward_with_retain_graph():
    x = ab.tensor([1.0, -1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    dot = draw_graph(y, labels={x: "x"})
    assert "grad [ 2., -2.]" in dot


def test_a_freed_graph_says_so():
    x = ab.tensor(1.0, requires_grad=True)
    y = x.exp()
    y.backward()
    assert "graph freed by backward" in to_dot(y)


def test_large_tensors_show_only_their_shape():
    x = ab.randn(10, 10, requires_grad=True)
    assert "data" not in to_dot(x.sum()).split("shape (10, 10)")[1].split(";")[0]


def test_rendering_needs_graphviz(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("no graphviz here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(ab.ones(1, requires_grad=True).sum(), render=str(tmp_path / "g"))
