"""ops.parallel: kernels split over threads give the one-thread numbers, bit for bit."""

import os
import time

import numpy as np
import pytest

import abinitio as ab
from abinitio import threads
from abinitio.ops import im2col, parallel, spike
from abinitio.ops.spike import leaky_layer
from abinitio.snn import surrogate


@pytest.fixture
def splits(monkeypatch):
    """Run with ``n`` intra-op threads (``splits.use(n)``) and record how many parts each
    kernel was cut into, so a test can prove the threaded path ran."""

    class Recorder:
        parts = []

        def use(self, n):
            monkeypatch.setitem(threads._settings, "threads", n)
            self.parts = []

    recorder = Recorder()
    # small thresholds, so that test-sized arrays split (the thresholds are speed policy;
    # what is tested is that the split computes the same numbers)
    monkeypatch.setattr(parallel, "MIN_WORK", 1 << 12)
    monkeypatch.setattr(spike, "MIN_STEP_PART", 1 << 10)
    original = parallel.batch_slices

    def recording(n, work):
        slices = original(n, work)
        recorder.parts.append(len(slices))
        return slices

    monkeypatch.setattr(parallel, "batch_slices", recording)
    return recorder


def _run(splits, n, fn):
    splits.use(n)
    return fn(), list(splits.parts)


def _both(splits, fn):
    """fn's arrays at 1 thread and at 2; asserts the 2-thread run did split."""
    one, parts_one = _run(splits, 1, fn)
    two, parts_two = _run(splits, 2, fn)
    assert set(parts_one) == {1}
    assert max(parts_two) == 2, parts_two
    return one, two


def _assert_identical(one, two):
    for a, b in zip(one, two, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_slices_cover_the_batch_once_and_small_work_stays_whole(splits):
    splits.use(2)
    assert parallel.batch_slices(7, 10 * parallel.MIN_WORK) == [slice(0, 3), slice(3, 7)]
    assert parallel.batch_slices(7, parallel.MIN_WORK) == [slice(0, 7)]
    assert parallel.batch_slices(1, 10 * parallel.MIN_WORK) == [slice(0, 1)]
    splits.use(1)
    assert parallel.batch_slices(7, 10 * parallel.MIN_WORK) == [slice(0, 7)]


@pytest.mark.parametrize(
    "shape, kernel, stride, padding",
    [((16, 6, 28, 28), 2, 2, 0), ((8, 8, 33, 31), 3, 2, 1), ((2, 40, 30, 30), 3, 1, 1)],
)
def test_max_pool_forward_and_backward_match_one_thread(splits, shape, kernel, stride, padding):
    rng = np.random.default_rng(0)
    # ties (rounded values) exercise the first-maximum rule; a batch-innermost input the layout
    x = np.round(rng.standard_normal(shape) * 4).astype(np.float32)
    x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    g = rng.standard_normal(1).astype(np.float32)

    def run():
        t = ab.tensor(x, requires_grad=True)
        y = ab.nn.functional.max_pool2d(t, kernel, stride, padding)
        (y * ab.tensor(g)).sum().backward()
        return y.detach().numpy(), t.grad.numpy()

    _assert_identical(*_both(splits, run))


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("output", ["spikes", "both"])
def test_leaky_layer_forward_and_backward_match_one_thread(splits, reset, output):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 40, 8, 9, 26)).astype(np.float32)  # 74,880 neurons a step
    beta = rng.uniform(0.5, 1.0, (8, 1, 26)).astype(np.float32)
    threshold = rng.uniform(0.5, 1.5, (9, 26)).astype(np.float32)
    mem0 = rng.standard_normal((40, 8, 9, 26)).astype(np.float32)

    def run():
        leaves = [ab.tensor(a, requires_grad=True) for a in (x, mem0, beta, threshold)]
        out = leaky_layer(*leaves, surrogate.atan(), reset=reset, output=output)
        weights = ab.tensor(rng_weights(out.shape))
        (out * weights).sum().backward()
        return [out.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves]

    _assert_identical(*_both(splits, run))


def rng_weights(shape):
    return np.random.default_rng(2).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_backward_match_one_thread(splits, approximate):
    x = np.random.default_rng(3).standard_normal((96, 1024)).astype(np.float32) * 3

    def run():
        t = ab.tensor(x, requires_grad=True)
        y = ab.nn.functional.gelu(t, approximate=approximate)
        (y * ab.tensor(rng_weights(x.shape))).sum().backward()
        return y.detach().numpy(), t.grad.numpy()

    _assert_identical(*_both(splits, run))


@pytest.mark.parametrize("shape, dim", [((8, 4, 64, 64), -1), ((8, 4, 64, 64), 0), ((300, 7), 1)])
def test_softmax_forward_and_backward_match_one_thread(splits, shape, dim):
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)

    def run():
        t = ab.tensor(x, requires_grad=True)
        y = ab.nn.functional.softmax(t, dim=dim)
        (y * ab.tensor(rng_weights(shape))).sum().backward()
        return y.detach().numpy(), t.grad.numpy()

    _assert_identical(*_both(splits, run))


@pytest.mark.parametrize("mask", ["causal", "batched bool", "dropout"])
def test_attention_forward_and_backward_match_one_thread(splits, mask):
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((3, 4, 32, 16)).astype(np.float32) for _ in range(3))
    allowed = rng.random((3, 4, 32, 32)) < 0.7

    def run():
        ab.manual_seed(0)  # the same dropout mask in both runs
        leaves = [ab.tensor(a, requires_grad=True) for a in (q, k, v)]
        options = {"causal": {"is_causal": True}, "dropout": {"dropout_p": 0.2},
                   "batched bool": {"attn_mask": ab.tensor(allowed)}}[mask]  # fmt: skip
        out = ab.nn.functional.scaled_dot_product_attention(*leaves, **options)
        (out * ab.tensor(rng_weights(out.shape))).sum().backward()
        return [out.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves]

    _assert_identical(*_both(splits, run))


def test_stacked_matmul_forward_and_backward_match_one_thread(splits):
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((6, 4, 48, 16)), rng.standard_normal((6, 4, 16, 40))

    def run():
        x, y = (ab.tensor(m.astype(np.float32), requires_grad=True) for m in (a, b))
        z = x @ y
        (z * ab.tensor(rng_weights(z.shape))).sum().backward()
        return z.detach().numpy(), x.grad.numpy(), y.grad.numpy()

    _assert_identical(*_both(splits, run))


def test_an_error_in_a_pool_thread_reaches_the_caller(splits):
    splits.use(2)

    def kernel(s):
        if s.start == 0:  # the part the pool thread runs
            raise ValueError("part 0 failed")

    with pytest.raises(ValueError, match="part 0 failed"):
        parallel.over_batch(kernel, 4, 10 * parallel.MIN_WORK)


def test_a_forked_child_makes_its_own_pool(splits):
    splits.use(2)
    seen = []
    parallel.over_batch(seen.append, 4, 10 * parallel.MIN_WORK)  # the parent's pool starts
    assert len(seen) == 2 and parallel._pool is not None
    pid = os.fork()
    if pid == 0:  # the child: the parent's pool thread does not exist here
        code = 1
        try:
            out = np.zeros(4)

            def kernel(s):
                out[s] = 1

            parallel.over_batch(kernel, 4, 10 * parallel.MIN_WORK)
            code = 0 if out.sum() == 4 else 2
        finally:
            os._exit(code)
    for _ in range(200):  # 20 s: a child stuck on a dead pool would never exit
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung on the parent's thread pool")
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_large_weight_gradient_is_summed_in_parts_and_blas_threads_come_back(monkeypatch):
    """The convolution's weight gradient cut between 2 threads (ops.parallel.split_reduction)
    equals the one-thread sum to rounding, is the same on every run, and leaves BLAS's
    thread count as it found it."""
    pytest.importorskip("threadpoolctl")
    import abinitio.nn.functional as F
    from abinitio.ops import conv

    rng = np.random.default_rng(0)
    x = ab.tensor(rng.standard_normal((16, 3, 20, 20), np.float32))
    w = ab.tensor(rng.standard_normal((8, 3, 3, 3), np.float32), requires_grad=True)

    def weight_grad():
        w.grad = None
        F.conv2d(x, w, padding=1).square().sum().backward()
        return w.grad.numpy()

    monkeypatch.setattr(im2col, "BLOCK_NUMBERS", 1 << 12)  # many blocks to cut
    monkeypatch.setitem(threads._settings, "threads", 1)
    one = weight_grad()
    calls = []
    original = parallel.split_reduction

    def recording(partial, items, work, min_work):
        results = original(partial, items, work, min_work)
        calls.append(len(results))
        return results

    monkeypatch.setattr(conv, "split_reduction", recording)
    monkeypatch.setattr(conv, "SPLIT_WEIGHT_GRADIENT", 0)
    monkeypatch.setitem(threads._settings, "threads", 2)
    before = [library.num_threads for library in threads.blas_libraries()]
    two, again = weight_grad(), weight_grad()
    assert calls == [2, 2]  # the sum did run in two parts
    np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(two, again)
    assert [library.num_threads for library in threads.blas_libraries()] == before
