"""The PyTorch surface that real programs touch first (issue 13): each name with PyTorch's
behaviour, differentiable ones checked against torch (values and gradients) and gradcheck."""

import io
from collections import OrderedDict

import numpy as np
import pytest

import abinitio as ab

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 5)).astype(np.float32)
B3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)

# name, abinitio function, torch function, input
COMPOSITES = [
    ("tril", lambda t: t.tril(), lambda t: t.tril(), A),
    ("tril_k", lambda t: ab.tril(t, -1), lambda t: t.tril(-1), A),
    ("triu", lambda t: ab.triu(t, 1), lambda t: t.triu(1), A),
    ("diag_of_matrix", lambda t: ab.diag(t, 1), lambda t: t.diag(1), A),
    ("diag_of_vector", lambda t: ab.diag(t[0], -1), lambda t: t[0].diag(-1), A),
    ("roll", lambda t: t.roll(2, 1), lambda t: t.roll(2, 1), A),
    ("roll_flat", lambda t: ab.roll(t, 3), lambda t: t.roll(3), A),
    ("roll_two_dims", lambda t: t.roll((1, -2), (0, 1)), lambda t: t.roll((1, -2), (0, 1)), A),
    ("narrow", lambda t: t.narrow(1, 1, 3), lambda t: t.narrow(1, 1, 3), A),
    ("repeat", lambda t: t.repeat(2, 1, 3), lambda t: t.repeat(2, 1, 3), A),
    ("norm", lambda t: t.norm(), lambda t: t.norm(), A),
    ("norm_dim", lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), A),
    ("norm_p1", lambda t: t.norm(p=1, dim=0), lambda t: t.norm(p=1, dim=0), A),
    ("log1p", lambda t: (t * t).log1p(), lambda t: (t * t).log1p(), A),
    ("topk_values", lambda t: t.topk(2).values, lambda t: t.topk(2).values, A),
    ("topk_smallest", lambda t: t.topk(3, dim=0, largest=False)[0],
     lambda t: t.topk(3, dim=0, largest=False)[0]),
    ("mm", lambda t: t.mm(t.t()), lambda t: t.mm(t.t()), A),
    ("bmm", lambda t: ab.bmm(t, t.transpose(1, 2)), lambda t: t.bmm(t.transpose(1, 2)), B3),
    ("masked_fill_tril", lambda t: t[:4, :4].masked_fill(ab.tril(ab.ones(4, 4)) == 0, -5.0),
     lambda t: t[:4, :4].masked_fill(t.new_ones(4, 4).tril() == 0, -5.0), A),
]
COMPOSITES = [c if len(c) == 4 else (*c, A) for c in COMPOSITES]


@pytest.mark.parametrize("name,ours,theirs,x", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_matches_torch_values_and_gradients(torch, name, ours, theirs, x):
    a = ab.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(t)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    weights = RNG.standard_normal(tuple(expected.shape)).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,ours,theirs,x", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_passes_gradcheck(name, ours, theirs, x):
    if name.startswith(("topk", "masked")):
        x = x + np.arange(x.size).reshape(x.shape) * 0.1  # no ties for a finite difference
    a = ab.tensor(x.astype(np.float64), dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(ours, (a,))


def test_topk_indices_and_multinomial(torch):
    values, indices = ab.topk(ab.tensor([3.0, 1.0, 4.0, 1.5]), 2)
    assert indices.tolist() == [2, 0] and values.tolist() == [4.0, 3.0]
    ab.manual_seed(0)
    draws = ab.multinomial(ab.tensor([[0.0, 1.0, 3.0]] * 2), 4000, replacement=True)
    assert draws.shape == (2, 4000) and draws.dtype == ab.int64
    assert set(np.unique(draws.numpy())) == {1, 2}
    assert abs((draws.numpy() == 2).mean() - 0.75) < 0.03
    once = ab.multinomial(ab.tensor([1.0, 1.0, 1.0]), 3)
    assert sorted(once.tolist()) == [0, 1, 2]  # without replacement: each index once
    with pytest.raises(ValueError, match="without replacement"):
        ab.multinomial(ab.tensor([1.0, 1.0]), 3)


def test_set_up_idioms():
    device = ab.device("cuda" if ab.cuda.is_available() else "cpu")
    gpu = ab.cuda.is_available()  # True only with CuPy and a GPU
    assert ab.device("cpu").type == "cpu" and repr(ab.device("cpu")) == "device(type='cpu')"
    assert ab.device("cuda:1").index == 1 and ab.device("cuda:0") == "cuda"
    assert (ab.cuda.device_count() > 0) == gpu == ab.accelerator.is_available()
    assert ab.accelerator.current_accelerator() == ("cuda" if gpu else None)
    assert ab.backends.mps.is_available() is False and ab.backends.cudnn.is_available() == gpu
    ab.backends.cudnn.benchmark = True  # accepted
    if not gpu:
        with pytest.raises(RuntimeError, match="needs CuPy"):
            ab.ones(2).cuda()
    assert ab.float is ab.float32 and ab.long is ab.int64 and ab.int is ab.int32
    with pytest.raises(TypeError, match="bfloat16 tensors are not supported"):
        ab.zeros(2, dtype=ab.bfloat16)
    assert ab.zeros(2, 3, device=device).shape == (2, 3)
    assert ab.arange(4, device="cpu").tolist() == [0, 1, 2, 3]
    assert ab.randn(3, device=device).device == device
    assert ab.empty(size=(2, 3)).shape == (2, 3) and ab.zeros(size=(4,)).shape == (4,)
    assert ab.randn_like(ab.zeros(2, 3, dtype=ab.float64)).dtype == ab.float64
    linear = ab.nn.Linear(3, 2, True, "cpu", ab.float64)  # PyTorch's positional order
    assert linear.weight.dtype == ab.float64 and not linear.weight.is_cuda
    assert linear.to(device).weight.device == device
    loader = ab.data.DataLoader(ab.data.TensorDataset(ab.zeros(4, 1)), batch_size=2,
                                num_workers=2, pin_memory=True)  # fmt: skip
    assert len(list(loader)) == 2


def test_inference_mode_and_bare_no_grad():
    w = ab.ones(2, requires_grad=True)
    with ab.inference_mode():
        assert not (w * 2).requires_grad
    with ab.inference_mode(False):
        assert (w * 2).requires_grad

    @ab.no_grad
    def bare():
        return (w * 2).requires_grad

    @ab.inference_mode()
    def called():
        return (w * 2).requires_grad

    assert bare() is False and called() is False and ab.is_grad_enabled()


def test_tensor_idioms(torch):
    t = ab.tensor([1.0, 2.0])
    assert t.new_zeros(2, 3).shape == (2, 3) and t.new_zeros((2,)).dtype == ab.float32
    assert t.new_tensor([1, 2]).dtype == ab.float32  # the dtype follows self, as in PyTorch
    assert t.new_ones(2).tolist() == [1.0, 1.0] and t.new_full((1,), 7.0).tolist() == [7.0]
    assert ab.tensor([1, 2]).type_as(t).dtype == ab.float32
    assert t.contiguous() is t and not t.is_cuda
    loss = ab.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" == f"{torch.tensor(0.123456):.4f}"
    assert "{:+.2f}".format(ab.tensor(1.5)) == "+1.50"
    assert ab.Tensor(2, 3).shape == (2, 3) and ab.FloatTensor(2).dtype == ab.float32
    assert ab.LongTensor([1, 2]).dtype == ab.int64 and ab.FloatTensor([1, 2]).tolist() == [1.0, 2.0]
    assert ab.is_tensor(t) and not ab.is_tensor(1.0)


def test_save_and_load_through_file_objects_and_state_dict_is_ordered():
    model = ab.nn.Linear(3, 2)
    state = model.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == ["weight", "bias"]
    buffer = io.BytesIO()
    ab.save({"model": state, "epoch": 3}, buffer)
    buffer.seek(0)
    loaded = ab.load(buffer, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(loaded["model"]["weight"].numpy(), model.weight.detach().numpy())
    assert loaded["epoch"] == 3
    buffer.seek(0)
    assert ab.load(buffer, map_location=lambda storage, location: storage)["epoch"] == 3


def test_multiprocessing_is_the_standard_library_under_torch_name():
    import multiprocessing

    assert ab.multiprocessing.Process is multiprocessing.Process
    assert ab.multiprocessing.cpu_count() >= 1


def test_to_sparse_and_spmm_match_dense_product(torch):
    x = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, -1.0]], dtype=np.float32)
    dense = RNG.standard_normal((3, 4)).astype(np.float32)
    a = ab.tensor(x, requires_grad=True)
    product = ab.spmm(a.to_sparse(), ab.tensor(dense))
    expected = torch.sparse.mm(torch.tensor(x).to_sparse(), torch.tensor(dense))
    np.testing.assert_allclose(product.detach().numpy(), expected.numpy(), rtol=1e-6)
    product.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), (x != 0) * dense.sum(1), rtol=1e-6)


def test_a_missing_tensor_method_names_the_torch_method_and_the_line():
    with pytest.raises(AttributeError, match=r"does not implement torch.Tensor.frobnicate yet \(used at .*test_torch_surface.py:\d+\)"):
        ab.ones(2).frobnicate()
    assert not hasattr(ab.ones(2), "frobnicate") and not hasattr(ab.ones(2), "_private")


def test_start_up_switches_and_type_names():
    threads = ab.get_num_threads()
    ab.set_num_threads(1)
    assert ab.get_num_threads() == 1
    ab.set_num_threads(threads)
    with pytest.raises(ValueError, match="positive int"):
        ab.set_num_threads(0)
    ab.set_float32_matmul_precision("high")
    assert ab.get_float32_matmul_precision() == "high"
    ab.set_float32_matmul_precision("highest")
    ab.use_deterministic_algorithms(True)
    assert ab.are_deterministic_algorithms_enabled()
    ab.use_deterministic_algorithms(False)
    assert ab.Size([2, 3]) == ab.zeros(2, 3).shape and isinstance(ab.float32, ab.dtype)
