"""A model's parameters to and from Flower's ``ArrayRecord``, in ``state_dict`` order, with
names and shapes checked, and the check that keeps a bad update out of the average.

Flower carries a model as an ordered mapping name -> array. ``model_arrays`` reads the
model's ``state_dict`` in its own order (parameters and, unless told otherwise, buffers such
as BatchNorm's running statistics); ``load_arrays`` writes such a mapping back and refuses,
before touching the model, anything whose names or shapes differ from the model's.

On the wire, the arrays can travel packed: one flat array per dtype (``packed-float32``),
the parameters concatenated in ``state_dict`` order, with the names, dtypes and shapes
(:func:`layout_of`) sent beside them in the round's config. Flower stores and moves every
``Array`` of a message as objects of their own, each fetched in its own request (an
``Array`` and an ``ArrayChunk`` per tensor): an MLP's six tensors made a message of 16
objects, packed it is 6. Averaging, clipping and trimming work element by element, so
Flower's strategies give the same numbers on the packed arrays as on the named ones.
"""

from __future__ import annotations

import json
from collections import OrderedDict

import numpy as np

__all__ = [
    "ModelMismatchError",
    "check_update",
    "from_array_record",
    "load_arrays",
    "layout_of",
    "model_arrays",
    "pack_arrays",
    "to_array_record",
    "unpack_arrays",
]

PACKED = "packed-"  # the key of a packed array is PACKED + its dtype's name


class ModelMismatchError(ValueError):
    """The arrays that arrived do not fit the model: names or shapes differ.

    See the article docs/articles/learning/federated_learning.py.
    """


def model_arrays(model, include_buffers: bool = True) -> OrderedDict:
    """name -> a copy of the array, in ``state_dict`` order.

    Example:
        >>> from abinitio import nn
        >>> list(model_arrays(nn.Linear(3, 2)).items())[0][1].shape
        (2, 3)
    """
    names = None if include_buffers else {name for name, _ in model.named_parameters()}
    arrays = OrderedDict()
    for name, tensor in model.state_dict().items():
        if names is None or name in names:
            arrays[name] = np.array(tensor.array, copy=True)
    return arrays


def _wire(shape) -> tuple:
    # Flower's Array carries a 0-d array (BatchNorm's num_batches_tracked) as shape (1,)
    shape = tuple(shape)
    return (1,) if shape == () else shape


def _describe(expected: dict, received: dict) -> str | None:
    """None when the names and shapes agree; otherwise what differs, in words."""
    expected = {n: _wire(s) for n, s in expected.items()}
    received = {n: _wire(s) for n, s in received.items()}
    missing = [n for n in expected if n not in received]
    unexpected = [n for n in received if n not in expected]
    shapes = [f"{n}: expected {expected[n]}, got {received[n]}"
              for n in expected if n in received and expected[n] != received[n]]  # fmt: skip
    problems = []
    if missing:
        problems.append(f"missing {missing}")
    if unexpected:
        problems.append(f"unexpected {unexpected}")
    if shapes:
        problems.append("shape mismatch " + "; ".join(shapes))
    return ", ".join(problems) or None


def load_arrays(model, arrays: dict, include_buffers: bool = True) -> None:
    """Copy ``arrays`` (name -> array) into ``model`` in place, after checking that the
    names and shapes are exactly the model's. A mismatch raises ModelMismatchError and
    leaves the model as it was.

    Example:
        >>> from abinitio import nn
        >>> load_arrays(nn.Linear(3, 2), {"weight": np.zeros((3, 2)), "bias": np.zeros(2)})
        Traceback (most recent call last):
        ...
        abinitio.federated.parameters.ModelMismatchError: the server's model does not match \
this model (Linear(in_features=3, out_features=2, bias=True)): shape mismatch weight: \
expected (2, 3), got (3, 2)
    """
    own = model_arrays(model, include_buffers)
    problem = _describe({n: a.shape for n, a in own.items()},
                        {n: np.shape(a) for n, a in arrays.items()})  # fmt: skip
    if problem:
        raise ModelMismatchError(
            f"the server's model does not match this model ({model!r}): {problem}"
        )
    state = model.state_dict()
    for name, value in arrays.items():
        target = state[name].array
        target[...] = np.asarray(value, dtype=target.dtype).reshape(target.shape)


def check_update(arrays: dict, reference: dict) -> str | None:
    """Why an update must not be averaged in (None when it may): names or shapes that
    differ from ``reference`` (name -> shape), or a value that is NaN or infinite."""
    problem = _describe(reference, {n: np.shape(a) for n, a in arrays.items()})
    if problem:
        return problem
    bad = [name for name, a in arrays.items() if not np.isfinite(np.asarray(a)).all()]
    if bad:
        return f"non-finite values (NaN or inf) in {bad}"
    return None


def layout_of(arrays: dict) -> str:
    """The names, dtypes and shapes of ``arrays`` (name -> array), in order, as the JSON
    text that travels in a round's config beside the packed arrays.

    Example:
        >>> layout_of({"weight": np.zeros((2, 3), np.float32), "bias": np.zeros(2, np.float32)})
        '[["weight", "float32", [2, 3]], ["bias", "float32", [2]]]'
    """
    return json.dumps([[n, np.asarray(a).dtype.name, list(np.shape(a))] for n, a in arrays.items()])


def pack_arrays(arrays: dict) -> OrderedDict:
    """name -> array (ordered) -> one flat array per dtype, ``packed-<dtype>``, each the
    concatenation of that dtype's arrays in order (:func:`unpack_arrays` undoes it).

    Example:
        >>> packed = pack_arrays({"w": np.ones((2, 2), np.float32), "b": np.zeros(2, np.float32)})
        >>> {key: a.tolist() for key, a in packed.items()}
        {'packed-float32': [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]}
    """
    groups = OrderedDict()
    for a in arrays.values():
        a = np.asarray(a)
        groups.setdefault(PACKED + a.dtype.name, []).append(a.reshape(-1))
    return OrderedDict((key, np.concatenate(parts)) for key, parts in groups.items())


def unpack_arrays(packed: dict, layout: str) -> OrderedDict:
    """The packed arrays (:func:`pack_arrays`) -> name -> array, as ``layout``
    (:func:`layout_of`) describes them; packed arrays whose keys or sizes do not fit the
    layout raise ModelMismatchError."""
    entries = json.loads(layout)
    sizes = OrderedDict()
    for _, dtype, shape in entries:
        sizes[PACKED + dtype] = sizes.get(PACKED + dtype, 0) + int(np.prod(shape, dtype=np.int64))
    received = {key: int(np.size(a)) for key, a in packed.items()}
    if received != dict(sizes):
        raise ModelMismatchError(
            f"the packed arrays do not fit their layout: expected sizes {dict(sizes)}, "
            f"got {received}"
        )
    offsets = dict.fromkeys(sizes, 0)
    arrays = OrderedDict()
    for name, dtype, shape in entries:
        key, size = PACKED + dtype, int(np.prod(shape, dtype=np.int64))
        start = offsets[key]
        arrays[name] = np.asarray(packed[key]).reshape(-1)[start : start + size].reshape(shape)
        offsets[key] = start + size
    return arrays


def is_packed(record) -> bool:
    """Whether the arrays of ``record`` (a mapping name -> array) are packed ones."""
    return len(record) > 0 and all(str(key).startswith(PACKED) for key in record.keys())


def to_array_record(arrays: dict, packed: bool = False):
    """name -> ndarray (ordered) -> Flower ``ArrayRecord``, same order; with ``packed``,
    the arrays of :func:`pack_arrays` instead."""
    from flwr.app import Array, ArrayRecord

    if packed:
        arrays = pack_arrays(arrays)
    return ArrayRecord(OrderedDict((n, Array(np.ascontiguousarray(a))) for n, a in arrays.items()))


def from_array_record(record, layout: str | None = None) -> OrderedDict:
    """Flower ``ArrayRecord`` -> name -> ndarray, in the record's order; packed arrays are
    unpacked by ``layout`` when it is given (else returned as they came)."""
    arrays = OrderedDict((name, array.numpy()) for name, array in record.items())
    if layout is not None and is_packed(arrays):
        return unpack_arrays(arrays, layout)
    return arrays
