"""Every primitive keeps to the input's array library (the seam a CuPy backend needs).

``DeviceArray`` stands in for a CuPy array on a machine without a GPU: an ndarray subclass
that, like CuPy, refuses to mix with NumPy arrays in a ufunc or array function. Each row
of the op table runs forward and backward on such arrays; a primitive that allocates with
``np.zeros(shape)`` instead of ``np.zeros_like(x, shape=...)``, or that pulls data through
``np.asarray``, hands a plain NumPy array to the next operation and fails here.
"""

import sys

import numpy as np
import pytest

import abinitio as ab
from abinitio import backend
from abinitio.tensor import Tensor
from helpers import random_inputs
from op_db import OPS


class DeviceArray(np.ndarray):
    """An array of another library: NumPy functions dispatch to it, and it refuses
    NumPy arrays of values as operands (a NumPy scalar or a Python number is fine)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_numpy_arrays(ufunc.__name__, inputs + (out or ()))
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*map(_plain, inputs), **kwargs)
        return _device(result)

    def __array_function__(self, func, types, args, kwargs):
        _refuse_numpy_arrays(func.__name__, _flatten(args) + _flatten(tuple(kwargs.values())))
        plain_args = _map_nested(_plain, args)
        plain_kwargs = {k: _map_nested(_plain, v) for k, v in kwargs.items()}
        return _device(func(*plain_args, **plain_kwargs))


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, DeviceArray) else a


def _device(result):
    """Results come back as device arrays; scalars as 0-d arrays, as CuPy returns them."""
    if isinstance(result, (tuple, list)):
        return type(result)(_device(r) for r in result)
    if type(result) is np.ndarray or isinstance(result, np.generic):
        return np.asarray(result).view(DeviceArray)
    return result


def _flatten(items) -> tuple:
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return tuple(out)


def _map_nested(fn, value):
    if isinstance(value, (list, tuple)):
        return type(value)(_map_nested(fn, v) for v in value)
    return fn(value)


def _refuse_numpy_arrays(name: str, operands) -> None:
    """Integer arrays are let through: they are indices and axes, which CuPy takes from
    the host; values and masks (float, bool) are not."""
    for operand in operands:
        if type(operand) is np.ndarray and operand.dtype.kind in "fcb":
            raise TypeError(
                f"{name}: a NumPy array of shape {operand.shape} met a device array "
                "(allocate with *_like or the input's array module)"
            )


class DeviceModule:
    """What ``backend.get_array_module`` gives for a DeviceArray, as it gives ``cupy`` for
    a CuPy array: NumPy's functions, returning device arrays."""

    def __getattr__(self, name):
        attribute = getattr(np, name)
        if not callable(attribute) or isinstance(attribute, type):
            return attribute  # dtypes, constants

        def on_device(*args, **kwargs):
            kwargs = {k: _map_nested(_plain, v) for k, v in kwargs.items()}
            return _device(attribute(*_map_nested(_plain, args), **kwargs))

        return on_device


def on_device(array) -> Tensor:
    return Tensor._make(np.asarray(array).view(DeviceArray), False, None)


@pytest.fixture
def device_constants(monkeypatch):
    """``get_array_module`` knows DeviceArray (in every module that imported it), and the
    tensors the op table builds from lists (masks, indices) live on the device too."""
    original, device_module = backend.get_array_module, DeviceModule()

    def get_array_module(array):
        return device_module if isinstance(array, DeviceArray) else original(array)

    for module in [m for name, m in sys.modules.items() if name.startswith("abinitio")]:
        if getattr(module, "get_array_module", None) is original:
            monkeypatch.setattr(module, "get_array_module", get_array_module)
    make = ab.tensor

    def tensor(data, *args, **kwargs):
        t = make(data, *args, **kwargs)
        return Tensor._make(t.array.view(DeviceArray), t.requires_grad, None)

    monkeypatch.setattr(ab, "tensor", tensor)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_primitive_stays_in_the_input_array_library(op, device_constants):
    for shapes in op.shapes:
        inputs = [on_device(a) for a in random_inputs(shapes, op.domain)]
        for t in inputs:
            t.requires_grad_(t.dtype.kind == "f")
        out = op.fn(*inputs)
        assert isinstance(out.array, DeviceArray), f"{op.name}: forward left the device"
        out.backward(on_device(np.ones(out.shape, out.dtype)))
        for i, t in enumerate(inputs):
            if t.requires_grad and t.grad is not None:
                assert isinstance(t.grad.array, DeviceArray), f"{op.name}: grad {i} left the device"


def _to_device(module) -> None:
    for tensor in list(module.parameters()) + list(module.buffers()):
        tensor.array = tensor.array.view(DeviceArray)


def _models():
    from abinitio import nn
    from abinitio.models import GPT, MLP, CharRNN, SimpleCNN

    ab.manual_seed(0)
    return {
        "mlp": (MLP(6, (8,), 3, dropout=0.5), (4, 6), 3),
        "cnn": (
            SimpleCNN(in_channels=1, input_size=8, channels=(4, 4), hidden=8),
            (2, 1, 8, 8),
            10,
        ),
        "lstm": (CharRNN(7, 4, 5, cell="lstm", num_layers=2, dropout=0.5), "tokens", 7),
        "gru": (CharRNN(7, 4, 5, cell="gru"), "tokens", 7),
        "gpt": (GPT(7, context_size=6, n_layers=1, n_heads=2, width=8, dropout=0.1), "tokens", 7),
        "layer_norm": (nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4), nn.GELU()), (3, 6), 4),
        "batch_norm": (nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)), (3, 6), 4),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_training_step_stays_in_the_input_array_library(name, device_constants):
    """A whole training step (train-mode forward with dropout, cross-entropy, backward,
    Adam) of each kind of model, on device arrays, ends with device parameters."""
    from abinitio.nn import functional as F

    model, shape, classes = _models()[name]
    _to_device(model)
    rng = np.random.default_rng(0)
    if shape == "tokens":
        inputs = on_device(rng.integers(0, classes, (2, 6)))
        targets = on_device(rng.integers(0, classes, (2 * 6,)))
    else:
        inputs = on_device(rng.standard_normal(shape).astype(np.float32))
        targets = on_device(rng.integers(0, classes, (shape[0],)))
    optimizer = ab.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
    loss.backward()
    optimizer.step()
    for pname, param in model.named_parameters():
        assert isinstance(param.grad.array, DeviceArray), f"{name}: grad of {pname}"
        assert isinstance(param.array, DeviceArray), f"{name}: {pname} after the step"
