"""A model's parameters to and from Flower's ``ArrayRecord``, in ``state_dict`` order, with
names and shapes checked, and the check that keeps a bad update out of the average.

Flower carries a model as an ordered mapping name -> array. ``model_arrays`` reads the
model's ``state_dict`` in its own order (parameters and, unless told otherwise, buffers such
as BatchNorm's running statistics); ``load_arrays`` writes such a mapping back and refuses,
before touching the model, anything whose names or shapes differ from the model's.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = [
    "ModelMismatchError",
    "check_update",
    "from_array_record",
    "load_arrays",
    "model_arrays",
    "to_array_record",
]


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


def to_array_record(arrays: dict):
    """name -> ndarray (ordered) -> Flower ``ArrayRecord``, same order."""
    from flwr.app import Array, ArrayRecord

    return ArrayRecord(OrderedDict((n, Array(np.ascontiguousarray(a))) for n, a in arrays.items()))


def from_array_record(record) -> OrderedDict:
    """Flower ``ArrayRecord`` -> name -> ndarray, in the record's order."""
    return OrderedDict((name, array.numpy()) for name, array in record.items())
