"""save/load: exact round trips, safetensors interop both ways, atomic writes, clear errors."""

import json
import math
import os
import pathlib
import pickle
import struct

import numpy as np
import pytest
import safetensors.numpy

import abinitio as ab
from abinitio import serialization
from abinitio.serialization import CheckpointError, load, save

DTYPES = [
    "bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64",
    "uint16", "uint32", "uint64", "complex64",
]  # fmt: skip
SHAPES = [(), (0,), (3,), (2, 3), (0, 4), (2, 1, 3)]


def random_array(dtype, shape, rng):
    """Every bit pattern is fair game (NaNs with payloads, -0.0, subnormals), except bool."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    size = math.prod(shape) * dtype.itemsize
    return rng.integers(0, 256, size, dtype=np.uint8).view(dtype).reshape(shape)


def assert_same(expected, actual, where="checkpoint"):
    """Same structure, same Python types, arrays equal bit for bit as Tensors."""
    if isinstance(expected, (ab.Tensor, np.ndarray)):
        array = expected.array if isinstance(expected, ab.Tensor) else expected
        assert type(actual) is ab.Tensor, where
        assert not actual.requires_grad, where
        assert actual.dtype == array.dtype and actual.shape == array.shape, where
        assert actual.array.tobytes() == np.ascontiguousarray(array).tobytes(), where
        return
    assert type(actual) is type(expected), (where, type(expected), type(actual))
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same(expected[key], actual[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert struct.pack("<d", actual) == struct.pack("<d", expected), (where, actual)
    elif isinstance(expected, np.generic):
        assert actual.dtype == expected.dtype, where
        assert actual.tobytes() == expected.tobytes() or np.isnan(expected), where
    else:
        assert actual == expected, where


def round_trip(obj, tmp_path, name="checkpoint.safetensors"):
    save(obj, tmp_path / name)
    return load(tmp_path / name)


# ---- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_flat_state_dict_round_trips_bit_for_bit(dtype, tmp_path):
    rng = np.random.default_rng(0)
    state = {f"layer{i}.weight": random_array(dtype, shape, rng) for i, shape in enumerate(SHAPES)}
    state["tensor"] = ab.from_numpy(random_array(dtype, (4, 2), rng))
    assert_same(state, round_trip(state, tmp_path))


def test_float16_weights_from_elsewhere_load_widened_exactly_to_float32(tmp_path):
    """abinitio computes in float32 or float64 (no fast float16 in NumPy): a half-precision
    file loads, each value widened exactly; making a float16 tensor is refused."""
    from safetensors.numpy import save_file

    half = random_array("float16", (3, 5), np.random.default_rng(2))
    save_file({"w": half}, tmp_path / "half.safetensors")
    loaded = load(tmp_path / "half.safetensors")["w"]
    assert loaded.dtype == ab.float32
    np.testing.assert_array_equal(loaded.numpy(), half.astype(np.float32))
    with pytest.raises(TypeError, match="float16"):
        ab.from_numpy(half)


def test_the_structure_is_kept_exactly(tmp_path):
    rng = np.random.default_rng(1)
    optimizer = {
        "state": {
            0: {"step": 3, "exp_avg": rng.normal(size=(2, 3)), "exp_avg_sq": np.zeros((2, 3))},
            1: {"step": 3, "exp_avg": np.float32(0.5), "momentum_buffer": None},
        },
        "param_groups": [
            {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "params": [0, 1]}
        ],
    }
    checkpoint = {
        "model": {"fc.weight": ab.randn(4, 3), "fc.bias": ab.zeros(4, dtype=ab.float64)},
        "optimizer": optimizer,
        "floats": [0.1, -0.0, 5e-324, 1.7976931348623157e308, math.inf, -math.inf, math.nan],
        "more": (float("-nan"), 2**80, -(2**70), True, None, "", "ünïcode ✓", "a.b"),
        "empty": [[], {}, (), ((),)],
        "numpy": [np.int64(-7), np.uint64(2**64 - 1), np.bool_(True), np.float16(0.1)],
        "nonfinite numpy": [np.float32("nan"), np.float64("-inf")],
        -5: "an int key at the top",
    }
    restored = round_trip(checkpoint, tmp_path)
    assert_same(checkpoint, restored)
    assert math.copysign(1.0, restored["more"][0]) == -1.0


def test_top_level_values_that_are_not_dicts(tmp_path):
    for obj in [ab.arange(5), [np.ones(2), (3, "x")], 1.5, None, "text"]:
        assert_same(obj, round_trip(obj, tmp_path))


def test_non_contiguous_and_big_endian_arrays_are_saved_as_they_read(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    state = {
        "strided": base[:, ::2],
        "transposed": base.T,
        "tensor_view": ab.from_numpy(base[::-1, 1:]),
        "big_endian": np.arange(5, dtype=">i4"),
    }
    restored = round_trip(state, tmp_path)
    for key, value in state.items():
        array = value.array if isinstance(value, ab.Tensor) else value
        np.testing.assert_array_equal(restored[key].array, array)
    assert restored["big_endian"].dtype == np.int32


def test_loaded_tensors_are_independent_plain_tensors(tmp_path):
    weight = ab.ones(3, requires_grad=True)
    restored = round_trip({"w": weight}, tmp_path)["w"]
    assert not restored.requires_grad and restored.is_leaf
    restored.array[:] = 5.0  # writable, and not a window onto the file
    np.testing.assert_array_equal(load(tmp_path / "checkpoint.safetensors")["w"].array, 1.0)
    assert weight.array[0] == 1.0


def test_tensor_names_in_the_file_are_readable_paths(tmp_path):
    checkpoint = {
        "model": {"fc.weight": np.ones(2)},
        "optimizer": {"state": {0: {"exp_avg": np.zeros(2)}}},
        "list": [np.ones(1), (np.ones(1),)],
    }
    save(checkpoint, tmp_path / "c.safetensors")
    names = set(safetensors.numpy.load_file(tmp_path / "c.safetensors"))
    assert names == {"model.fc.weight", "optimizer.state.0.exp_avg", "list.0", "list.1.0"}


def test_colliding_and_reserved_names_still_round_trip(tmp_path):
    checkpoint = {
        "a.b": np.full(2, 1.0),
        "a": {"b": np.full(2, 2.0), "b#2": np.full(2, 3.0)},
        "__metadata__": np.full(2, 4.0),
    }
    assert_same(checkpoint, round_trip(checkpoint, tmp_path))
    names = set(safetensors.numpy.load_file(tmp_path / "checkpoint.safetensors"))
    assert names == {"a.b", "a.b#2", "a.b#2#2", "__metadata__#2"}


def test_the_metadata_layout_is_the_documented_one(tmp_path):
    save({"opt": {0: (0.5, np.ones(1))}}, tmp_path / "c.safetensors")
    with open(tmp_path / "c.safetensors", "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    info = json.loads(header["__metadata__"][serialization.METADATA_KEY])
    assert info["version"] == serialization.FORMAT_VERSION
    assert info["tree"] == {
        "dict": [["opt", {"dict": [[0, {"tuple": [0.5, {"tensor": "opt.0.1"}]}]]}]]
    }


# ---- interop with safetensors.torch -----------------------------------------------------
def test_torch_reads_an_abinitio_state_dict(torch, tmp_path):
    from safetensors.torch import load_file

    state = {"fc.weight": ab.randn(3, 2), "fc.bias": ab.zeros(3), "steps": np.arange(4)}
    save(state, tmp_path / "model.safetensors")
    loaded = load_file(tmp_path / "model.safetensors")
    assert list(sorted(loaded)) == sorted(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key].numpy(), np.asarray(value))


def test_abinitio_reads_a_torch_state_dict(torch, tmp_path):
    from safetensors.torch import save_file

    module = torch.nn.Linear(3, 2).double()
    state = {k: v.detach() for k, v in module.state_dict().items()}
    state["counts"] = torch.arange(3, dtype=torch.int64)
    save_file(state, tmp_path / "torch.safetensors", metadata={"format": "pt"})
    loaded = load(tmp_path / "torch.safetensors")
    assert sorted(loaded) == sorted(state)
    for key, value in state.items():
        assert type(loaded[key]) is ab.Tensor and loaded[key].dtype == value.numpy().dtype
        np.testing.assert_array_equal(loaded[key].array, value.numpy())


def test_bfloat16_from_torch_is_refused_clearly(torch, tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.safetensors")
    with pytest.raises(CheckpointError, match=r"bf16\.safetensors.*'w' has dtype 'BF16'"):
        load(tmp_path / "bf16.safetensors")


# ---- atomic writes ----------------------------------------------------------------------
def half_written_then_fail(tensors, filename, metadata=None):
    with open(filename, "wb") as file:
        file.write(b"partial")
    raise OSError("disk full")


def fail_to_rename(source, destination):
    raise OSError("disk full")


@pytest.mark.parametrize("target", ["save_file", "replace"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary(target, tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    if target == "save_file":
        monkeypatch.setattr(serialization, "save_file", half_written_then_fail)
    else:
        monkeypatch.setattr(serialization.os, "replace", fail_to_rename)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_save_overwrites_and_accepts_str_and_pathlike(tmp_path):
    save({"w": np.ones(2)}, str(tmp_path / "m.safetensors"))
    save({"w": np.zeros(3)}, pathlib.Path(tmp_path / "m.safetensors"))
    assert load(str(tmp_path / "m.safetensors"))["w"].shape == (3,)
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_a_missing_directory_is_named_and_not_created(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match="directory .*no.*such.* does not exist"):
        save({"w": np.ones(1)}, missing / "m.safetensors")
    assert not (tmp_path / "no").exists()
    with pytest.raises(IsADirectoryError):
        save({"w": np.ones(1)}, tmp_path)


# ---- unsupported input to save ----------------------------------------------------------
@pytest.mark.parametrize(
    "obj, message",
    [
        ({"optimizer": {"x": {1, 2}}}, r"cannot store a set at checkpoint\['optimizer'\]\['x'\]"),
        ({"a": [1, object()]}, r"cannot store an object at checkpoint\['a'\]\[1\]"),
        ({"a": 1 + 2j}, r"cannot store a complex at checkpoint\['a'\]"),
        ({"a": b"raw"}, r"cannot store a bytes at checkpoint\['a'\]"),
        ({"a": np.str_("s")}, r"NumPy <U1 scalar at checkpoint\['a'\]"),
        ({"a": np.ones(2, np.complex128)}, r"dtype complex128 at checkpoint\['a'\]"),
        ({"a": np.array(["x"])}, r"dtype <U1 at checkpoint\['a'\]"),
        ({"a": {1.5: 0}}, r"keys must be str or int, got a float key 1.5 in checkpoint\['a'\]"),
        ({"a": {(1, 2): 0}}, r"got a tuple key \(1, 2\)"),
        ({True: 0}, r"got a bool key True in checkpoint$"),
        ({"a": {np.int64(3): 0}}, r"got a numpy.int64 key"),
    ],
)
def test_save_names_what_it_cannot_store_and_where(obj, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        save(obj, tmp_path / "bad.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_cycle(tmp_path):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match=r"checkpoint\['a'\]\[0\] contains itself"):
        save(loop, tmp_path / "loop.safetensors")


# ---- files load cannot read -------------------------------------------------------------
def good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    save({"w": np.arange(10.0), "step": 4}, path)
    return path.read_bytes()


def header_of(data):
    (length,) = struct.unpack("<Q", data[:8])
    return length, json.loads(data[8 : 8 + length])


def with_header(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def bad_bytes(case, tmp_path):
    data = good_file(tmp_path)
    length, header = header_of(data)
    metadata = header["__metadata__"]
    if case == "metadata not JSON":
        return with_header(
            {**header, "__metadata__": {"__abinitio__": "{oops"}}, data[8 + length :]
        )
    if case == "missing tensor":
        del header["w"]
        return with_header(header)
    if case == "newer version":
        info = json.loads(metadata["__abinitio__"])
        metadata["__abinitio__"] = json.dumps({**info, "version": 99})
        return with_header(header, data[8 + length :])
    return {
        "empty": b"",
        "seven bytes": b"\x01\x02\x03\x04\x05\x06\x07",
        "truncated header": data[: 8 + length // 2],
        "truncated data": data[:-9],
        "text": b"name,value\nw,1.0\n" * 4,
        "pickle": pickle.dumps({"w": [1.0, 2.0]}),
        "zip": b"PK\x03\x04" + bytes(60),
        "header not JSON": struct.pack("<Q", 12) + b"{not json!!}",
        "header a list": struct.pack("<Q", 2) + b"[]",
        "bad entry": with_header({"w": {"dtype": "F32", "shape": "oops"}}),
        "wrong offsets": with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}),
        "extra tensor": with_header(
            {**header, "x": {"dtype": "U8", "shape": [1], "data_offsets": [80, 81]}},
            data[8 + length :] + b"\x00",
        ),
    }[case]


@pytest.mark.parametrize(
    "case, message",
    [
        ("empty", r"the file is empty \(0 bytes\)"),
        ("seven bytes", r"only 7 bytes: not a safetensors file"),
        ("truncated header", r"the file is truncated: its header should be \d+ bytes"),
        ("truncated data", r"the file is truncated: tensor 'w' needs bytes 0\.\.80 .* only 71"),
        ("text", r"not a safetensors file: it holds text, starting 'name,value\\nw,1\.0"),
        ("pickle", r"not a safetensors file: it holds a Python pickle, which abinitio never"),
        ("zip", r"not a safetensors file: it holds a zip archive \(torch\.save"),
        ("header not JSON", r"the header is corrupted: not valid JSON"),
        ("header a list", r"not a safetensors file: it holds bytes starting b'\\x02"),
        ("bad entry", r"the header entry for 'w' is corrupted"),
        ("wrong offsets", r"tensor 'w' has offsets 0\.\.4 for 8 bytes"),
        ("metadata not JSON", r"'__abinitio__' metadata is corrupted"),
        ("missing tensor", r"corrupted \(it names tensor 'w', which the file does not hold\)"),
        ("newer version", r"format version 99, but this abinitio reads version 1"),
        ("extra tensor", r"holds tensors its '__abinitio__' structure never names: \['x'\]"),
    ],
)
def test_load_says_which_file_and_what_is_wrong(case, message, tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(bad_bytes(case, tmp_path))
    with pytest.raises(CheckpointError, match=r"cannot load '.*bad\.safetensors': .*" + message):
        load(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        load(tmp_path / "nowhere.safetensors")


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)
