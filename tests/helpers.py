"""Test helpers: run one lambda on abinitio and on PyTorch tensors and compare.

Because abinitio mirrors PyTorch's API, the same ``fn`` (``lambda x, y: (x * y).sum(1)``)
runs on both libraries' tensors; forward values and the gradients of every input must agree.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import abinitio as ab


def require(module: str):
    """Import an oracle or optional package for a test: ``torch = require("torch")``.

    A missing package fails the test, naming what to install: the README's test command
    installs every oracle and extra (``pip install torch==2.13.0 -e ".[test,oracles]"``), so
    a broken install cannot hide a whole test file behind skips."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        command = 'pip install torch==2.13.0 -e ".[test,oracles]"'
        pytest.fail(f"this test needs {module!r}: install it with the README's test command "
                    f"({command}): {error}", pytrace=False)  # fmt: skip


def script(name: str):
    """``scripts/<name>.py`` as a module: a test runs the experiment whose results the
    README reports over many seeds, on fewer seeds, instead of a copy of it."""
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_inputs(shapes, domain=(-2.0, 2.0), dtype=np.float32, rng=None):
    rng = rng or np.random.default_rng(0)
    low, high = domain
    return [rng.uniform(low, high, size=shape).astype(dtype) for shape in shapes]


def compare_with_torch(torch, fn, arrays, rtol=1e-5, atol=1e-6, grad=True, torch_fn=None):
    """Run ``fn`` on abinitio and torch copies of ``arrays``; compare outputs and grads."""
    ours = [ab.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    out = fn(*ours)
    expected = (torch_fn or fn)(*theirs)
    assert out.shape == tuple(expected.shape), f"shape {out.shape} != torch {tuple(expected.shape)}"
    np.testing.assert_allclose(
        out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol
    )
    if not grad:
        return
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for i, (a, t) in enumerate(zip(ours, theirs)):
        if t.grad is None:  # not connected to the output in PyTorch: not in ours either
            assert a.grad is None, f"input {i}: torch gives no gradient, abinitio gives one"
            continue
        assert a.grad is not None, f"input {i}: no gradient reached it"
        assert a.grad.shape == a.shape, f"input {i}: grad shape {a.grad.shape} != {a.shape}"
        assert a.grad.dtype == a.dtype, f"input {i}: grad dtype {a.grad.dtype} != {a.dtype}"
        np.testing.assert_allclose(
            a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
        )


def check_gradients(fn, arrays, atol=1e-5, rtol=1e-3):
    """float64 gradcheck of ``fn`` at ``arrays``."""
    inputs = [ab.tensor(a, dtype=ab.float64, requires_grad=True) for a in arrays]
    assert ab.gradcheck(fn, inputs, atol=atol, rtol=rtol)


def copy_into_torch(torch, ours, theirs):
    """Load our module's state_dict into the torch module (names must match PyTorch's)."""
    state = {k: torch.tensor(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)


def compare_module_with_torch(torch, ours, theirs, arrays, rtol=1e-5, atol=1e-5):
    """Same weights, same inputs: outputs, input gradients and every parameter gradient."""
    copy_into_torch(torch, ours, theirs)
    xs = [ab.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, expected = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(
        out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol
    )
    weights = np.random.default_rng(2).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is None:
            assert x.grad is None, f"input {i}: torch gives no gradient, abinitio gives one"
            continue
        assert x.grad is not None, f"input {i}: no gradient reached it"
        np.testing.assert_allclose(
            x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
        )
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        expected_grad = theirs_params[name].grad
        assert param.grad is not None, f"no gradient reached {name}"
        np.testing.assert_allclose(
            param.grad.numpy(), expected_grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    return out


def processes_mentioning(text: str) -> list[int]:
    """Live processes (not zombies, not this one) whose command line or environment names
    ``text``: what a test that starts servers or ranks checks is gone when it ends."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            blob = Path("/proc", entry, "cmdline").read_bytes()
            blob += Path("/proc", entry, "environ").read_bytes()
            state = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in blob and state != "Z":
            found.append(int(entry))
    return found
