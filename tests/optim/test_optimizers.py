"""Optimisers: 100 steps against torch.optim, parameter groups, state_dict, zero_grad, errors.

The model is built functionally (no nn.Module): a two-layer tanh network on fixed data,
trained full-batch, with the same arrays copied into both frameworks.
"""

import numpy as np
import pytest

import abinitio as ab
from abinitio import optim
from abinitio.nn import functional as F

SHAPES = [(8, 5), (8,), (3, 8), (3,)]

PARITY_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
]


@pytest.fixture
def torch(torch):
    """The session's torch on one thread: these problems are tiny, and the 2 CPU cores are
    shared, where a thread pool only waits. The setting is restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def problem(dtype=np.float32):
    """Inputs, labels and initial weights of the test network (the same on every call)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype(dtype)
    y = rng.integers(0, 3, size=32)
    weights = [(0.5 * rng.standard_normal(shape)).astype(dtype) for shape in SHAPES]
    return x, y, weights


def loss_fn(F, params, x, y):
    """Cross-entropy of a tanh MLP; the same expression runs on both frameworks."""
    W1, b1, W2, b2 = params
    hidden = F.linear(x, W1, b1).tanh()
    logits = F.linear(hidden, W2, b2)
    return -(logits.log_softmax(1).gather(1, y[:, None])).mean()


def ab_params(weights):
    return [ab.nn.Parameter(ab.from_numpy(w.copy())) for w in weights]


def torch_params(torch, weights):
    return [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]


def train(optimizer, params, x, y, steps):
    x, y = ab.from_numpy(x), ab.from_numpy(y)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(F, params, x, y).backward()
        optimizer.step()


def train_torch(torch, optimizer, params, x, y, steps):
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(torch.nn.functional, params, x, y).backward()
        optimizer.step()


def assert_close_to_torch(params, torch_params, rtol):
    """Each element within ``rtol`` of torch's, relative to the largest element of its tensor
    (so that entries that pass near zero are judged on the tensor's scale)."""
    for p, q in zip(params, torch_params):
        expected = q.detach().numpy()
        scale = np.abs(expected).max()
        np.testing.assert_allclose(p.array, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.torch
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("name, options", PARITY_CASES, ids=lambda c: str(c))
def test_100_steps_match_torch(torch, name, options, dtype, rtol):
    x, y, weights = problem(dtype)
    params = ab_params(weights)
    theirs = torch_params(torch, weights)
    train(getattr(optim, name)(params, **options), params, x, y, 100)
    train_torch(torch, getattr(torch.optim, name)(theirs, **options), theirs, x, y, 100)
    assert_close_to_torch(params, theirs, rtol)
    assert params[0].array.dtype == dtype


SECOND_GROUP = {
    "SGD": dict(lr=0.003, momentum=0.9, nesterov=True, weight_decay=0.1),
    "Adam": dict(lr=0.003, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.1),
    "RMSprop": dict(lr=0.003, momentum=0.9, centered=True, weight_decay=0.1),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(SECOND_GROUP))
def test_parameter_groups_with_their_own_options_match_torch(torch, name):
    x, y, weights = problem()

    def groups(params):
        return [{"params": params[:2]}, {"params": params[2:], **SECOND_GROUP[name]}]

    params, theirs = ab_params(weights), torch_params(torch, weights)
    optimizer = getattr(optim, name)(groups(params), lr=0.02)
    assert [group["lr"] for group in optimizer.param_groups] == [0.02, 0.003]
    train(optimizer, params, x, y, 100)
    train_torch(torch, getattr(torch.optim, name)(groups(theirs), lr=0.02), theirs, x, y, 100)
    assert_close_to_torch(params, theirs, 1e-5)


def test_add_param_group_takes_the_defaults():
    w, b = ab.nn.Parameter(ab.zeros(3)), ab.nn.Parameter(ab.zeros(1))
    optimizer = optim.SGD([w], lr=0.1, momentum=0.5)
    optimizer.add_param_group({"params": b, "lr": 0.01})
    expected = dict(momentum=0.5, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
    assert optimizer.param_groups[1] == {"params": [b], "lr": 0.01, **expected}


STATE_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


@pytest.mark.parametrize("name, options", STATE_CASES, ids=lambda c: str(c))
def test_state_dict_round_trip_is_bit_for_bit(name, options):
    x, y, weights = problem()
    cls = getattr(optim, name)

    def groups(params):
        return [{"params": params[:2]}, {"params": params[2:], "lr": 0.005}]

    params = ab_params(weights)
    train(cls(groups(params), **options), params, x, y, 100)
    resumed = ab_params(weights)
    first = cls(groups(resumed), **options)
    train(first, resumed, x, y, 50)
    saved = first.state_dict()
    copies = ab_params([p.array for p in resumed])
    second = cls([{"params": copies[:2]}, {"params": copies[2:]}], **options)
    second.load_state_dict(saved)
    assert [group["lr"] for group in second.param_groups] == [options["lr"], 0.005]
    train(second, copies, x, y, 50)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.array, q.array)


@pytest.mark.torch
@pytest.mark.parametrize("name, options", STATE_CASES, ids=lambda c: str(c))
def test_state_dict_has_torch_layout(torch, name, options):
    x, y, weights = problem()
    params, theirs = ab_params(weights), torch_params(torch, weights)
    params[3].requires_grad_(False)  # no gradient: no state, as in torch
    theirs[3].requires_grad_(False)
    optimizer = getattr(optim, name)([{"params": params[:1]}, {"params": params[1:]}], **options)
    groups = [{"params": theirs[:1]}, {"params": theirs[1:]}]
    torch_optimizer = getattr(torch.optim, name)(groups, **options)
    train(optimizer, params, x, y, 3)
    train_torch(torch, torch_optimizer, theirs, x, y, 3)
    ours, theirs = optimizer.state_dict(), torch_optimizer.state_dict()
    assert sorted(ours["state"]) == [0, 1, 2]  # torch's Adagrad also holds state for 3
    for index, state in ours["state"].items():
        assert sorted(state) == sorted(theirs["state"][index])
        if name == "SGD":  # SGD keeps only its momentum buffer, as torch does
            assert "step" not in state
        else:  # a Python int that counts the three steps taken
            assert state["step"] == 3 and isinstance(state["step"], int)
        for key, value in state.items():
            np.testing.assert_allclose(value, theirs["state"][index][key], rtol=1e-5, atol=1e-7)
    for group, torch_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert group["params"] == torch_group["params"]
        assert {key: torch_group[key] for key in group} == group


def test_state_dict_is_a_snapshot_and_load_copies():
    x, y, weights = problem()
    params = ab_params(weights)
    optimizer = optim.Adam(params, lr=0.01)
    train(optimizer, params, x, y, 2)
    saved = optimizer.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    train(optimizer, params, x, y, 1)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)
    optimizer.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 123.0
    np.testing.assert_array_equal(optimizer.state[params[0]]["exp_avg"], before)
    assert optimizer.state[params[0]]["step"] == 2


def test_load_state_dict_casts_arrays_to_the_parameter_dtype():
    w = ab.nn.Parameter(ab.zeros(3, dtype=ab.float64))
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    saved = {"state": {0: {"momentum_buffer": np.ones(3, np.float32)}}, "param_groups": []}
    saved["param_groups"] = [dict(optimizer.state_dict()["param_groups"][0])]
    optimizer.load_state_dict(saved)
    assert optimizer.state[w]["momentum_buffer"].dtype == np.float64


def mismatches():
    """A trained Adam with two groups, and ways to spoil its state_dict."""

    def fewer_groups(sd):
        sd["param_groups"] = sd["param_groups"][:1]

    def group_sizes(sd):
        sd["param_groups"][0]["params"] = [0]
        sd["param_groups"][1]["params"] = [1, 2, 3]

    def shape(sd):
        sd["state"][2]["exp_avg"] = np.zeros((8, 3), np.float32)

    def stray_index(sd):
        sd["state"][9] = {"step": 1}

    def other_optimizer(sd):
        for group in sd["param_groups"]:
            del group["betas"], group["amsgrad"]

    return {
        "groups": (fewer_groups, ["1 parameter groups saved, 2 here"]),
        "sizes": (group_sizes, ["group 0: 1 parameters saved, 2 here", "group 1: 3 param"]),
        "shape": (shape, ["state 2 'exp_avg': shape (8, 3) saved", "shape is (3, 8)"]),
        "index": (stray_index, ["state 9: no parameter group lists parameter 9"]),
        "options": (other_optimizer, ["group 0: no saved value for options ['betas', 'ams"]),
    }


@pytest.mark.parametrize("case", list(mismatches()))
def test_load_state_dict_reports_mismatches_and_changes_nothing(case):
    spoil, messages = mismatches()[case]
    x, y, weights = problem()
    params = ab_params(weights)
    optimizer = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
    train(optimizer, params, x, y, 3)
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = 0.5
    spoil(saved)
    before = optimizer.state_dict()
    groups, state = optimizer.param_groups, optimizer.state
    with pytest.raises(ValueError) as error:
        optimizer.load_state_dict(saved)
    for message in messages:
        assert message in str(error.value)
    assert optimizer.param_groups is groups and optimizer.state is state
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index, buffers in before["state"].items():
        for key, value in buffers.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def test_zero_grad_gives_fresh_zeros_or_none_and_never_writes_old_arrays():
    w, v = ab.nn.Parameter(ab.ones(3)), ab.nn.Parameter(ab.ones(3))
    (w * 2 + v).sum().backward()
    shared = np.array([5.0, 5.0, 5.0], np.float32)
    w.grad = ab.from_numpy(shared)
    optimizer = optim.SGD([w, v], lr=0.1)
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(shared, [5.0, 5.0, 5.0])  # the old array is untouched
    for p in (w, v):
        assert p.grad.array is not shared
        np.testing.assert_array_equal(p.grad.array, np.zeros(3))
        assert p.grad.dtype == p.dtype
    optimizer.zero_grad()
    assert w.grad is None and v.grad is None
    optimizer.step()  # no gradients: nothing changes
    np.testing.assert_array_equal(w.array, np.ones(3))


@pytest.mark.parametrize("name, options", PARITY_CASES, ids=lambda c: str(c))
def test_step_updates_in_place_and_never_writes_the_gradient(name, options):
    x, y, weights = problem()
    params = ab_params(weights)
    optimizer = getattr(optim, name)(params + [ab.nn.Parameter(ab.ones(2))], **options)
    arrays = [p.array for p in params]
    for _ in range(3):
        optimizer.zero_grad()
        loss_fn(F, params, ab.from_numpy(x), ab.from_numpy(y)).backward()
        grads = [p.grad.array for p in params]
        for g in grads:
            g.flags.writeable = False  # writing into a gradient would raise
        copies = [g.copy() for g in grads]
        buffers = {key: value for key, value in optimizer.state[params[0]].items()}
        optimizer.step()
        for g, c in zip(grads, copies):
            np.testing.assert_array_equal(g, c)
        for key, value in buffers.items():
            assert optimizer.state[params[0]][key] is value or np.isscalar(value)
    assert all(p.array is a for p, a in zip(params, arrays))
    assert optimizer.param_groups[0]["params"][-1].array.tolist() == [1.0, 1.0]  # no grad
    assert len(optimizer.state) == len(params)


def test_closure_runs_with_gradients_on_and_its_loss_is_returned():
    w = ab.nn.Parameter(ab.tensor([3.0]))
    optimizer = optim.SGD([w], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ab.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 9.0
    assert w.array.tolist() == [1.5]


def test_repr_lists_each_group_like_torch():
    w = ab.nn.Parameter(ab.zeros(2))
    text = repr(optim.Adagrad([w], lr=0.5))
    assert text.startswith("Adagrad (\nParameter Group 0\n    eps: 1e-10\n    init")
    assert "    lr: 0.5\n" in text and text.endswith("\n)")


CONSTRUCTION_ERRORS = [
    (optim.SGD, dict(lr=-0.1), "lr must be a non-negative number, received lr=-0.1"),
    (optim.SGD, dict(lr=float("nan")), "received lr=nan"),
    (optim.SGD, dict(momentum=1.0), "momentum must be in [0, 1), received momentum=1.0"),
    (optim.SGD, dict(momentum=-0.5), "received momentum=-0.5"),
    (optim.SGD, dict(weight_decay=-1), "weight_decay must be a non-negative number"),
    (optim.SGD, dict(nesterov=True), "momentum must be > 0 with nesterov=True"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "received dampening=0.1"),
    (optim.Adam, dict(lr=-1e-3), "Adam: lr must be"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "received betas=(1.0, 0.999)"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "betas must be two numbers in [0, 1)"),
    (optim.Adam, dict(betas=(0.9,)), "betas must be a pair"),
    (optim.Adam, dict(eps=-1e-8), "eps must be a non-negative number, received eps=-1e-08"),
    (optim.AdamW, dict(weight_decay=-0.01), "AdamW: weight_decay must be"),
    (optim.RMSprop, dict(alpha=1.0), "alpha must be in [0, 1), received alpha=1.0"),
    (optim.RMSprop, dict(momentum=2), "RMSprop: momentum must be in [0, 1)"),
    (optim.RMSprop, dict(eps=-1), "received eps=-1"),
    (optim.Adagrad, dict(lr_decay=-0.1), "lr_decay must be a non-negative number"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value must be"),
    (optim.Adagrad, dict(weight_decay=-1), "Adagrad: weight_decay"),
]


@pytest.mark.parametrize("cls, options, message", CONSTRUCTION_ERRORS)
def test_bad_options_raise_naming_the_value(cls, options, message):
    with pytest.raises(ValueError) as error:
        cls([ab.nn.Parameter(ab.zeros(2))], **options)
    assert message in str(error.value)


BAD_PARAMETERS = [
    (lambda w: optim.SGD([]), ValueError, "SGD received an empty parameter list"),
    (lambda w: optim.SGD([w, w]), ValueError, "appears twice"),
    (lambda w: optim.Adam([{"params": [w]}, {"params": [w]}]), ValueError, "appears twice"),
    (lambda w: optim.Adam([w]).add_param_group({"params": w}), ValueError, "appears twice"),
    (lambda w: optim.SGD([ab.tensor([1, 2])]), ValueError, "floating-point tensors, received"),
    (lambda w: optim.SGD([w * 2]), ValueError, "cannot optimise a non-leaf tensor"),
    (lambda w: optim.SGD(w), TypeError, "received a single Tensor"),
    (lambda w: optim.SGD({"params": {w}}), TypeError, "not a set"),
    (lambda w: optim.SGD([np.zeros(2)]), TypeError, "only optimise Tensors, received ndarray"),
    (lambda w: optim.SGD([{"params": [w]}, {"params": [w.detach()], "lr": -1}]), ValueError, "-1"),
]


@pytest.mark.parametrize("make, error, message", BAD_PARAMETERS)
def test_bad_parameter_lists_raise(make, error, message):
    with pytest.raises(error, match=message):
        make(ab.nn.Parameter(ab.zeros(2)))


def test_a_failed_add_param_group_adds_nothing():
    w, b = ab.nn.Parameter(ab.zeros(2)), ab.nn.Parameter(ab.zeros(2))
    optimizer = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError):
        optimizer.add_param_group({"params": [b], "momentum": 3})
    with pytest.raises(ValueError):
        optimizer.add_param_group({"params": [b, w]})
    assert len(optimizer.param_groups) == 1
    optimizer.add_param_group({"params": [b]})
    assert len(optimizer.param_groups) == 2
