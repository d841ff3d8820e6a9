"""``save`` and ``load``: state dicts and whole checkpoints as safetensors files, never pickle.

A pickle can run any code when it is loaded; a safetensors file is an 8-byte little-endian
header length, a JSON header, and the raw bytes of every array. So a checkpoint can come
from anyone, and other tools (``safetensors.torch``, Hugging Face) read our files directly.

File layout (format version 1; optimiser checkpoints and training resumes rely on it):

* **Tensor table.** Every Tensor or ndarray in ``obj`` is one safetensors tensor, stored
  C-contiguous in its own dtype (bool, uint8/16/32/64, int8/16/32/64, float16/32/64,
  complex64). Its name is the path of keys to it joined with ``"."``: a flat state dict
  keeps its keys as they are (``"fc.weight"``), ``checkpoint["optimizer"]["state"][0]["exp_avg"]``
  becomes ``"optimizer.state.0.exp_avg"``, and an array at the top level is ``"root"``.
  Names are only labels: when two paths give the same name (``{"a.b": x, "a": {"b": y}}``)
  the later one gets ``"#2"``, ``"#3"``, ... appended, and ``"__metadata__"`` (reserved by
  safetensors) becomes ``"__metadata__#2"``.
* **Structure.** The safetensors metadata holds one entry, ``"__abinitio__"``: the JSON text
  of ``{"version": 1, "tree": node}``. A node is a bare JSON value for ``None``, bool, int,
  str and finite floats (Python's float repr round-trips exactly), or an object with one
  key naming what it stands for::

      {"dict": [[key, node], ...]}     key is a JSON string or integer; order is kept
      {"list": [node, ...]}            {"tuple": [node, ...]}
      {"tensor": "optimizer.state.0.exp_avg"}      a name in the tensor table
      {"float": "nan"}                 also "-nan", "inf", "-inf" (JSON has no such numbers)
      {"numpy": ["float32", node]}     a NumPy scalar: its dtype and its value

A file without ``"__abinitio__"`` (say, from ``safetensors.torch``) loads as a flat dict of
name to Tensor. Not kept: dict and tuple subclasses (``OrderedDict``) come back as ``dict``
and ``tuple``, Python NaNs keep only their sign, and shared arrays come back as copies.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import struct

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from abinitio import backend
from abinitio.creation import from_numpy
from abinitio.tensor import Tensor

__all__ = ["CheckpointError", "FORMAT_VERSION", "METADATA_KEY", "load", "save"]

METADATA_KEY = "__abinitio__"
FORMAT_VERSION = 1

_DTYPES = {  # NumPy dtype name -> safetensors dtype code (the ones safetensors.numpy reads)
    "bool": "BOOL",
    "uint8": "U8",
    "int8": "I8",
    "uint16": "U16",
    "int16": "I16",
    "float16": "F16",
    "uint32": "U32",
    "int32": "I32",
    "float32": "F32",
    "uint64": "U64",
    "int64": "I64",
    "float64": "F64",
    "complex64": "C64",
}
_ITEMSIZE = {code: np.dtype(name).itemsize for name, code in _DTYPES.items()}
_NONFINITE = ("nan", "-nan", "inf", "-inf")
MAX_NESTING = 100  # containers in a checkpoint nest at most this deep (a real one: about 5)
MAX_DIMS = 64  # NumPy's limit on an array's number of dimensions


class CheckpointError(ValueError):
    """A file that ``load`` cannot read: empty, truncated, corrupted or not safetensors."""


def save(obj, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path`` as a safetensors file, atomically.

    ``obj`` is a state dict (str -> Tensor or ndarray) or a whole checkpoint: dicts with str
    or int keys, lists, tuples, Tensors, ndarrays, NumPy scalars, and Python ``None``, bool,
    int, float and str. The file is first written beside ``path`` under a temporary name,
    flushed to disk, then renamed onto ``path``: a crash or an error leaves any earlier file
    at ``path`` as it was. The module docstring describes the layout.

    Args:
        obj: the state dict or checkpoint to store.
        path: the file to write (str or ``os.PathLike``; its directory must exist), or an
            open binary file such as ``io.BytesIO()`` (as in PyTorch).

    Raises:
        TypeError: ``obj`` holds a value, dict key or dtype that cannot be stored; the
            message names where (``checkpoint['optimizer']['x']``) and what it is.
        ValueError: ``obj`` contains itself.
        FileNotFoundError: the directory of ``path`` does not exist.

    Example:
        >>> import os, tempfile
        >>> import abinitio as ab
        >>> from abinitio.serialization import load, save
        >>> checkpoint = {"model": {"fc.weight": ab.ones(2, 3)}, "epoch": 3, "betas": (0.9, 0.999)}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "checkpoint.safetensors")
        ...     save(checkpoint, path)
        ...     restored = load(path)
        >>> restored["model"]["fc.weight"].shape, restored["epoch"], restored["betas"]
        ((2, 3), 3, (0.9, 0.999))

    See the article docs/articles/learning/training_loop.py.
    """
    if _is_file_object(path, "write"):  # torch.save(obj, io.BytesIO()) works in PyTorch
        return _through_temporary_file(lambda temporary: save(obj, temporary), path, "save")
    path = os.fsdecode(path)
    table = {}
    tree = _encode(obj, (), table, set())
    text = json.dumps({"version": FORMAT_VERSION, "tree": tree}, allow_nan=False)
    write_atomically(
        path, lambda temporary: save_file(table, temporary, metadata={METADATA_KEY: text})
    )


def _tensor_of(array):
    """A loaded array as a tensor; float16 (which abinitio does not compute in) is widened
    to float32, exactly, so that half-precision weights from elsewhere load."""
    return from_numpy(array.astype(np.float32) if array.dtype == np.float16 else array)


def _is_file_object(target, method: str) -> bool:
    return not isinstance(target, (str, bytes, os.PathLike)) and hasattr(target, method)


def _through_temporary_file(act, file, op: str):
    """``save`` to / ``load`` from an open binary file (``io.BytesIO``, ``open(..., "rb")``)
    through a private temporary file, so that both keep every check they make on paths."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="abinitio-") as folder:
        temporary = os.path.join(folder, "object.safetensors")
        if op == "save":
            act(temporary)
            with open(temporary, "rb") as handle:
                file.write(handle.read())
            return None
        with open(temporary, "wb") as handle:
            handle.write(file.read())
        return act(temporary)


def _move(obj, device):
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: _move(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(value, device) for value in obj)
    return obj


def load(path, map_location=None, weights_only=None, **_pickle_options):
    """Read a file written by :func:`save`, or any safetensors file.

    Args:
        path: the file to read (str or ``os.PathLike``), or an open binary file
            (``io.BytesIO``, ``open(name, "rb")``) as in PyTorch.
        map_location: PyTorch's argument: ``"cpu"`` (or ``None``, or a function, which
            abinitio's files need not consult: they hold no device) keeps tensors on the
            CPU; ``"cuda"`` moves them to the GPU.
        weights_only: accepted, as in PyTorch; abinitio's files only ever hold data (no
            pickled code), so every load is "weights only".

    Returns:
        The structure that was saved, with every array as an ``abinitio.Tensor`` (not
        requiring grad) and Python values as they were. A safetensors file without
        abinitio's structure gives a flat dict of name to Tensor.

    Raises:
        FileNotFoundError: there is no file at ``path`` (other ``OSError``: it cannot be
            opened, e.g. it is a directory).
        CheckpointError: the file is empty, truncated, corrupted, holds a dtype NumPy lacks
            (such as bfloat16), or is not a safetensors file (the message says what it is).
            This is the only error any file's content can cause: sizes in the header are
            checked against the file's size before anything is allocated, and nothing
            nested (JSON, containers) may go deeper than ``MAX_NESTING`` levels
            (``tests/fuzz`` and ``scripts/fuzz.py`` hold ``load`` to this).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from abinitio.serialization import load, save
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "state.safetensors")
        ...     save({"state": {0: {"step": 7, "exp_avg": np.zeros(2)}}}, path)
        ...     state = load(path)["state"]
        >>> state[0]["step"], state[0]["exp_avg"].dtype
        (7, dtype('float64'))

    See the article docs/articles/learning/training_loop.py.
    """
    if isinstance(map_location, (str, os.PathLike)) and str(map_location) != "cpu":
        return _move(load(path), str(map_location))  # "cuda": the tensors go to the GPU
    if _is_file_object(path, "read"):
        return _through_temporary_file(load, path, "load")
    path = os.fsdecode(path)
    header = _read_header(path)
    try:
        arrays = load_file(path)
    except SafetensorError as error:
        raise _fail(path, f"safetensors could not read it ({error})") from None
    metadata = header.get("__metadata__") or {}
    if METADATA_KEY not in metadata:
        return {name: _tensor_of(array) for name, array in arrays.items()}
    return _decode_checkpoint(path, metadata[METADATA_KEY], arrays)


# ---- save: from Python objects to a tensor table and a JSON tree ------------------------
def _encode(obj, where: tuple, table: dict, active: set):
    """The JSON node for ``obj``; its arrays go into ``table``. ``where`` is its key path."""
    if isinstance(obj, np.generic):  # first: np.float64 is also a float, np.str_ a str
        return _encode_numpy_scalar(obj, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": _nonfinite_name(obj)}
    if isinstance(obj, (Tensor, np.ndarray)):
        return {"tensor": _add_array(obj, where, table)}
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: {_describe(where)} contains itself; cannot store a cycle")
        if len(where) >= MAX_NESTING:
            raise ValueError(
                f"save: containers nest deeper than {MAX_NESTING} levels at "
                f"{_describe(where[:3])}[...]; load would refuse the file"
            )
        active.add(id(obj))
        node = _encode_container(obj, where, table, active)
        active.discard(id(obj))
        return node
    raise TypeError(
        f"save: cannot store {_a(_type_name(obj))} at {_describe(where)}: a checkpoint holds "
        "dicts, lists, tuples, Tensors, ndarrays, NumPy scalars, None, bool, int, float and str"
    )


def _encode_container(obj, where: tuple, table: dict, active: set) -> dict:
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"save: dict keys must be str or int, got {_a(_type_name(key))} key "
                    f"{key!r} in {_describe(where)}"
                )
            items.append([key, _encode(value, (*where, key), table, active)])
        return {"dict": items}
    tag = "tuple" if isinstance(obj, tuple) else "list"
    return {tag: [_encode(item, (*where, i), table, active) for i, item in enumerate(obj)]}


def _encode_numpy_scalar(obj: np.generic, where: tuple) -> dict:
    if obj.dtype.name not in _DTYPES or obj.dtype.kind == "c":
        raise TypeError(
            f"save: cannot store a NumPy {obj.dtype} scalar at {_describe(where)}: "
            "NumPy scalars must be bool, int or float (convert it, e.g. with str() or .item())"
        )
    value = obj.item()
    if isinstance(value, float) and not math.isfinite(value):
        value = {"float": _nonfinite_name(value)}
    return {"numpy": [obj.dtype.name, value]}


def _add_array(obj, where: tuple, table: dict) -> str:
    """Put ``obj``'s array into ``table`` under a fresh readable name; return the name."""
    array = backend.to_numpy(obj.array if isinstance(obj, Tensor) else obj)
    if array.dtype.name not in _DTYPES:
        raise TypeError(
            f"save: cannot store an array of dtype {array.dtype} at {_describe(where)}: "
            f"safetensors holds {', '.join(_DTYPES)}"
        )
    array = backend.contiguous(array)  # safetensors copies raw memory: a view would scramble
    base = ".".join(str(key) for key in where) or "root"
    name, n = base, 1
    while name in table or name == "__metadata__":
        n += 1
        name = f"{base}#{n}"
    table[name] = array
    return name


def _nonfinite_name(x: float) -> str:
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    return sign + ("nan" if math.isnan(x) else "inf")


def _describe(where: tuple) -> str:
    return "checkpoint" + "".join(f"[{key!r}]" for key in where)


def _type_name(obj) -> str:
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


# ---- save: the atomic write -------------------------------------------------------------
def write_atomically(path, write, op: str = "save") -> None:
    """Replace ``path`` all at once: ``write(temporary)`` fills a new file beside it, which is
    fsynced and renamed onto ``path``, so a reader (or a crash) sees the old file or the new
    one, never half of one. Every file abinitio writes goes through here. ``op`` names the
    caller in errors."""
    path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        message = f"{op}: the directory {directory!r} does not exist ({op} does not create it)"
        raise FileNotFoundError(errno.ENOENT, message, path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{op}: the path is a directory, not a file", path)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    with open(temporary, "xb"):  # claims the name; "x" never overwrites someone else's file
        pass
    try:
        write(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.remove(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself survive a power cut
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def temporaries(directory) -> list:
    """The temporary files :func:`write_atomically` left in ``directory``: one per write
    that a kill (SIGKILL, a power cut) interrupted before its rename. ``--resume`` removes
    them; nothing else in the directory is ever incomplete."""
    directory = os.fsdecode(directory)
    pattern = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")
    return [os.path.join(directory, name) for name in sorted(os.listdir(directory))
            if pattern.fullmatch(name)]  # fmt: skip


# ---- load: checking the file before safetensors sees it ---------------------------------
def _fail(path: str, problem: str) -> CheckpointError:
    return CheckpointError(f"cannot load {path!r}: {problem}")


def _read_header(path: str) -> dict:
    """Check the file's framing and return its parsed JSON header.

    Nothing here allocates more than the file holds: the header length is checked against
    the file size before the header is read, and every tensor's claimed size against the
    data section before safetensors reads a byte of it."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        start = file.read(64)
        if size == 0:
            raise _fail(path, "the file is empty (0 bytes)")
        if size < 8:
            raise _fail(path, f"only {size} bytes: not a safetensors file ({_what(start)})")
        (length,) = struct.unpack("<Q", start[:8])
        if length > size - 8 and start[8:9] == b"{":
            raise _fail(
                path,
                f"the file is truncated: its header should be {length} bytes, "
                f"but only {size - 8} follow the length field",
            )
        if length > size - 8 or start[8:9] != b"{":
            raise _fail(path, f"not a safetensors file: it holds {_what(start)}")
        file.seek(8)
        text = file.read(length)
    header = _parse_json(path, text, "the header")
    if not isinstance(header, dict):
        raise _fail(path, f"the header is corrupted: a JSON {type(header).__name__}, not an object")
    metadata = header.get("__metadata__")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and all(isinstance(value, str) for value in metadata.values())
    ):
        problem = f"the header's __metadata__ is not an object of strings: {metadata!r:.80}"
        raise _fail(path, problem)
    _check_entries(path, header, size - 8 - length)
    return header


def _parse_json(path: str, text, what: str):
    """``json.loads(text)``, or a CheckpointError saying why ``what`` is not JSON."""
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except RecursionError:  # json.loads gives up on nesting deeper than the stack
        raise _fail(path, f"{what} is corrupted: its JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: also huge integers
        raise _fail(path, f"{what} is corrupted: not valid JSON ({error})") from None


def _is_count(n) -> bool:
    """A JSON value that can be a size or an offset: a non-negative int (not a bool)."""
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _check_entries(path: str, header: dict, data_size: int) -> None:
    """Every tensor's dtype is one NumPy holds and its bytes lie inside the data section."""
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        keys = ("dtype", "shape", "data_offsets")
        if not (isinstance(entry, dict) and all(key in entry for key in keys)):
            raise _fail(path, f"the header entry for {name!r} is corrupted: {entry!r:.200}")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(code, str) or code not in _ITEMSIZE:
            raise _fail(
                path,
                f"tensor {name!r} has dtype {code!r:.40}, which NumPy cannot hold "
                f"(abinitio reads {', '.join(_ITEMSIZE)}); convert it, e.g. to float32, first",
            )
        if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
                and all(_is_count(n) for n in shape)):  # fmt: skip
            raise _fail(
                path,
                f"the header is corrupted: tensor {name!r} has shape {shape!r:.80}, not a list "
                f"of at most {MAX_DIMS} non-negative integers",
            )
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(_is_count(n) for n in offsets) and offsets[0] <= offsets[1]):  # fmt: skip
            raise _fail(
                path,
                f"the header is corrupted: tensor {name!r} has data_offsets {offsets!r:.80}, "
                "not [begin, end] with 0 <= begin <= end",
            )
        begin, end = offsets
        if _nbytes([n for n in shape if n], _ITEMSIZE[code], limit=2**63 - 1) >= 2**63:
            raise _fail(  # NumPy refuses such a shape even when a 0 makes it empty
                path,
                f"the header is corrupted: tensor {name!r} has shape {shape!r:.80}, "
                "too large for NumPy (its non-zero sizes multiply past 2**63 bytes)",
            )
        nbytes = _nbytes(shape, _ITEMSIZE[code], limit=2**63)  # exact: below 2**63 here
        if end - begin != nbytes:
            raise _fail(
                path,
                f"the header is corrupted: tensor {name!r} has offsets {begin}..{end}"
                f" for {nbytes} bytes of data (shape {shape!r:.80}, dtype {code})",
            )
        if end > data_size:
            raise _fail(
                path,
                f"the file is truncated: tensor {name!r} needs bytes {begin}..{end} of the "
                f"data section, which holds only {data_size} bytes",
            )


def _nbytes(shape: list, itemsize: int, limit: int) -> int:
    """prod(shape) * itemsize, or ``limit + 1`` as soon as the product passes ``limit``
    (so a header of huge sizes costs no big-integer arithmetic)."""
    if 0 in shape:
        return 0
    nbytes = itemsize
    for n in shape:
        nbytes *= n
        if nbytes > limit:
            return limit + 1
    return nbytes


def _what(start: bytes) -> str:
    """A guess at what a file that is not safetensors is, from its first bytes."""
    if start.startswith(b"PK\x03\x04"):
        return "a zip archive (torch.save writes these: load it with torch, save it with abinitio)"
    if start[:1] == b"\x80":
        return "a Python pickle, which abinitio never loads: unpickling can run any code"
    if start.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array (read it with numpy.load)"
    text = start.decode("utf-8", errors="replace")
    if all(char.isprintable() or char in "\t\n\r" for char in text):
        return f"text, starting {text[:40]!r}"
    return f"bytes starting {start[:16]!r}"


# ---- load: from the JSON tree back to Python objects -------------------------------------
def _decode_checkpoint(path: str, text: str, arrays: dict):
    info = _parse_json(path, text, f"its {METADATA_KEY!r} metadata")
    if not (isinstance(info, dict) and "version" in info and "tree" in info):
        raise _fail(path, f"its {METADATA_KEY!r} metadata is corrupted: {info!r:.80}")
    version, tree = info["version"], info["tree"]
    if version != FORMAT_VERSION:
        raise _fail(
            path,
            f"it uses checkpoint format version {version!r:.40}, "
            f"but this abinitio reads version {FORMAT_VERSION}",
        )
    used = set()
    try:
        obj = _decode(tree, arrays, used, 0)
    except ValueError as error:
        raise _fail(path, f"its {METADATA_KEY!r} metadata is corrupted ({error})") from None
    if used != arrays.keys():
        extra = sorted(arrays.keys() - used)
        raise _fail(path, f"it holds tensors its {METADATA_KEY!r} structure never names: {extra}")
    return obj


def _decode(node, arrays: dict, used: set, depth: int):
    """The Python value of a JSON node (the grammar is in the module docstring); any node
    outside that grammar is a ValueError naming it. ``depth`` counts enclosing containers."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not (isinstance(node, dict) and len(node) == 1):
        raise ValueError(f"unexpected node {node!r:.80}")
    ((tag, value),) = node.items()
    if tag in ("dict", "list", "tuple") and depth >= MAX_NESTING:
        raise ValueError(f"containers nested deeper than {MAX_NESTING} levels")
    if tag == "dict" and isinstance(value, list) and all(map(_is_item, value)):
        return {key: _decode(item, arrays, used, depth + 1) for key, item in value}
    if tag in ("list", "tuple") and isinstance(value, list):
        items = [_decode(item, arrays, used, depth + 1) for item in value]
        return items if tag == "list" else tuple(items)
    if tag == "tensor" and isinstance(value, str):
        if value not in arrays:
            raise ValueError(f"it names tensor {value!r:.80}, which the file does not hold")
        used.add(value)
        return _tensor_of(arrays[value])
    if tag == "float" and value in _NONFINITE:
        return float(value)
    if tag == "numpy" and isinstance(value, list) and len(value) == 2:
        return _decode_numpy_scalar(*value)
    raise ValueError(f"unexpected node {node!r:.80}")


def _is_item(pair) -> bool:
    """A dict node's ``[key, node]`` pair, the key a str or an int."""
    return (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
            and not isinstance(pair[0], bool))  # fmt: skip


def _decode_numpy_scalar(name, value):
    """``np.<name>(value)``, refusing what ``save`` cannot have written: a dtype it does not
    store, a value of the wrong kind, or one outside the dtype's range."""
    if not (isinstance(name, str) and name in _DTYPES) or name == "complex64":
        raise ValueError(f"a NumPy scalar of unknown dtype {name!r:.40}")
    if isinstance(value, dict) and list(value) == ["float"] and value["float"] in _NONFINITE:
        value = float(value["float"])
    dtype = np.dtype(name)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if dtype.kind == "b":
        ok = isinstance(value, bool)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        ok = number and isinstance(value, int) and info.min <= value <= info.max
    else:  # an int compares with the float bound exactly; inf and nan are allowed
        bound = float(np.finfo(dtype).max)
        ok = number and (abs(value) <= bound or value in (math.inf, -math.inf) or value != value)
    if not ok:
        raise ValueError(f"{value!r:.40} is not a value of a NumPy {name} scalar")
    return dtype.type(value)
