"""The backward pass: order, accumulation, freeing, depth, aliasing, hooks."""

import gc
import tracemalloc

import numpy as np
import pytest

import abinitio as ab
from abinitio.autograd.function import Function


def test_diamond_graph_sums_both_paths():
    x = ab.tensor(3.0, requires_grad=True)
    a = x * 2
    b = x * x
    (a * b).backward()  # d/dx (2x * x^2) = 6x^2
    assert x.grad.item() == pytest.approx(54.0)


def test_tensor_used_twice_in_one_op():
    x = ab.tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0])


def test_gradients_accumulate_across_backward_calls():
    w = ab.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (w * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0])


def test_second_backward_without_retain_graph_is_a_clear_error():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_ten_thousand_op_chain_has_no_recursion_limit():
    x = ab.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-3)


def test_leaf_gradients_do_not_share_memory():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    y = ab.tensor([3.0, 4.0], requires_grad=True)
    seed = ab.tensor([1.0, 1.0])
    (x + y).backward(seed)  # add passes the same array to both inputs
    x.grad.array *= 10
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])


def test_gradient_of_a_broadcast_view_is_writable():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward()  # Sum's backward is a read-only broadcast view
    x.grad.array *= 2
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_float32_data_gets_float32_gradients():
    x = ab.randn(3, requires_grad=True)
    y = (x * np.float64(2.5)) / ab.tensor([1.0, 2.0, 3.0], dtype=ab.float64)
    y.sum().backward()
    assert x.grad.dtype == ab.float32


def test_no_grad_records_nothing():
    w = ab.ones(2, requires_grad=True)
    with ab.no_grad():
        y = w * 3
        with ab.enable_grad():
            z = w * 3
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_decorator_and_set_grad_enabled():
    w = ab.ones(2, requires_grad=True)

    @ab.no_grad()
    def evaluate():
        return w * 2

    assert not evaluate().requires_grad
    assert ab.is_grad_enabled()
    with ab.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert ab.is_grad_enabled()
    ab.set_grad_enabled(False)
    assert not ab.is_grad_enabled()
    ab.set_grad_enabled(True)


def test_detach_cuts_the_graph():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    y = (x.detach() * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])


def test_retain_grad_keeps_intermediate_gradient():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    # an intermediate that did not ask for it keeps no gradient, though one flowed through it
    g = x * 3
    x.grad = None
    (g * g).sum().backward()
    assert g.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])


def test_hook_can_replace_a_gradient():
    x = ab.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])
    handle.remove()
    x.grad = None
    h2 = x * 1
    h2.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_leaf_hook_sees_the_total_gradient():
    x = ab.tensor([1.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert seen == [5.0]


def test_backward_on_a_leaf():
    x = ab.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_custom_function_written_by_a_learner():
    class Cube(Function):
        """y = x^3; dL/dx = 3 x^2 g."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = ab.randn(4, dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(Cube.apply, (x,))
    assert Cube.apply(x).grad_fn.name() == "CubeBackward"


def test_wrong_gradient_shape_from_a_function_is_reported():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return np.ones(7)

    x = ab.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BrokenBackward returned a gradient of shape \(7,\)"):
        Broken.apply(x).backward()


def test_training_loop_memory_is_steady():
    w = ab.randn(16, 16, requires_grad=True)
    x = ab.randn(8, 16)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with ab.no_grad():
            w.sub_(0.01 * w.grad)
        w.grad = None

    for _ in range(200):
        step()
    gc.collect()
    tracemalloc.start()
    for _ in range(1000):
        step()
    after_warmup, _ = tracemalloc.get_traced_memory()
    for _ in range(9000):
        step()
    final, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert final - after_warmup < 64 * 1024, f"memory grew by {final - after_warmup} bytes"


def test_graph_is_freed_after_backward():
    import weakref

    x = ab.randn(100, requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h)
    y = (h * 2).sum()
    del h
    assert ref() is not None  # y's graph holds it
    y.backward()
    gc.collect()
    assert ref() is None  # backward released it
