"""Parameters to and from Flower's ArrayRecord: state_dict order, names and shapes checked
before anything is written, buffers in or out; the check that rejects bad updates."""

import numpy as np
import pytest

from abinitio import nn
from abinitio.federated import (
    ModelMismatchError,
    check_update,
    from_array_record,
    layout_of,
    load_arrays,
    model_arrays,
    pack_arrays,
    to_array_record,
    unpack_arrays,
)
from helpers import require

require("flwr")


def _net():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))


def test_round_trip_through_an_array_record_keeps_order_and_values():
    source, target = _net(), _net()
    for p in source.parameters():
        p.array[...] = np.random.default_rng(0).normal(size=p.shape)
    record = to_array_record(model_arrays(source))
    assert list(record.keys()) == list(source.state_dict())
    load_arrays(target, from_array_record(record))
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array, err_msg=name)


def test_buffers_can_be_left_out():
    names = list(model_arrays(_net(), include_buffers=False))
    assert names == [n for n, _ in _net().named_parameters()]
    assert "1.running_mean" in model_arrays(_net())


def test_a_model_that_does_not_match_is_refused_before_anything_is_written():
    model = _net()
    before = {n: t.array.copy() for n, t in model.state_dict().items()}
    wrong_shape = model_arrays(nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Linear(5, 2)))
    with pytest.raises(ModelMismatchError, match=r"0.weight: expected \(3, 4\), got \(5, 4\)"):
        load_arrays(model, wrong_shape)
    renamed = {f"x{n}": a for n, a in model_arrays(model).items()}
    with pytest.raises(ModelMismatchError, match="missing .*0.weight.* unexpected .*x0.weight"):
        load_arrays(model, renamed)
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(tensor.array, before[name])


def test_check_update_names_what_is_wrong():
    arrays = model_arrays(_net())
    reference = {n: a.shape for n, a in arrays.items()}
    assert check_update(arrays, reference) is None
    arrays["2.bias"] = np.array([np.nan, 0.0], np.float32)
    reason = check_update(arrays, reference)
    assert "non-finite" in reason and "2.bias" in reason
    arrays["2.bias"] = np.array([np.inf, 0.0], np.float32)
    assert "non-finite" in check_update(arrays, reference)
    arrays["2.bias"] = np.zeros(3, np.float32)
    assert "shape mismatch 2.bias" in check_update(arrays, reference)


def test_packed_arrays_are_one_flat_array_per_dtype_and_unpack_to_the_same_values():
    source, target = _net(), _net()
    for p in source.parameters():
        p.array[...] = np.random.default_rng(1).normal(size=p.shape)
    arrays = model_arrays(source)  # float32 parameters and statistics, an int64 counter
    record = to_array_record(arrays, packed=True)
    assert list(record.keys()) == ["packed-float32", "packed-int64"]
    sizes = sum(a.size for a in arrays.values() if a.dtype == np.float32)
    assert record["packed-float32"].numpy().shape == (sizes,)
    unpacked = from_array_record(record, layout_of(arrays))
    assert list(unpacked) == list(arrays)
    for name, value in unpacked.items():
        assert value.dtype == arrays[name].dtype and value.shape == arrays[name].shape
        np.testing.assert_array_equal(value, arrays[name], err_msg=name)
    load_arrays(target, unpacked)  # names and shapes checked as for named arrays
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array, err_msg=name)
    assert list(from_array_record(record)) == ["packed-float32", "packed-int64"]  # no layout


def test_packed_arrays_that_do_not_fit_their_layout_are_refused():
    arrays = model_arrays(_net())
    packed = pack_arrays(arrays)
    packed["packed-float32"] = packed["packed-float32"][:-1]
    with pytest.raises(ModelMismatchError, match="expected sizes .*packed-float32.* got"):
        unpack_arrays(packed, layout_of(arrays))
    other = model_arrays(nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Linear(5, 2)))
    with pytest.raises(ModelMismatchError, match="do not fit their layout"):
        unpack_arrays(pack_arrays(other), layout_of(arrays))
