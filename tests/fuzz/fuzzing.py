"""Fuzzing every file format abinitio reads: the targets, their seeds and the mutator.

A *target* is one reader (``ab.load``, the IDX reader, the TOML config loader, ...) with
valid seed files and the errors it documents. :func:`check` writes one input to a file,
runs the reader on it, and returns ``None`` when the reader accepted it or refused it with
a documented error whose message names the file; anything else (another exception type, a
documented type whose message does not name the file) is returned as a finding. Hangs and
memory blow-ups are caught around it: ``tests/fuzz`` times every input and measures its
peak allocation, ``scripts/fuzz.py`` runs under libFuzzer's (atheris) timeout and RSS
limit, or an alarm and an address-space limit without atheris.

The mutator knows each format's structure, because flipping random bytes of a safetensors
file almost always just breaks its JSON: it parses the JSON header (and the checkpoint tree
inside its metadata), the TOML lines, the IDX and .npy headers, replaces a value with a
hostile one (nesting 100,000 deep, 1e999, 2**64, a 5,000-digit integer, NaN, the wrong
type) and writes the file back with its length fields fixed, so the input gets past the
framing into the code behind it. Byte-level mutations (flips, interesting integers,
insertions, deletions, splices, truncation) run beside them.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import struct
import tempfile
import warnings
from dataclasses import dataclass, field

import numpy as np

INTERESTING = [0, 1, 2, 7, 8, 63, 64, 65, 127, 128, 255, 256, 2**15, 2**16 - 1, 2**31 - 1,
               2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1]  # fmt: skip
RAW = "\x00RAW:"  # "\x00RAW:3" in a value is written out as the raw JSON text RAW_TEXTS[3]


def _raw_texts() -> list:
    """JSON texts no Python value dumps to: 1e999, NaN, huge integers, deep nesting."""
    texts = ["1e999", "-1e999", "NaN", "Infinity", "9" * 5000]
    for depth in (50, 99, 100, 101, 500, 1000, 100_000):
        texts += ["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                  '{"list":[' * depth + "]}" * depth,
                  '{"dict":[["k",' * depth + "1" + "]]}" * depth]  # fmt: skip
    return texts


RAW_TEXTS = _raw_texts()
HOSTILE = [  # values to put in place of a JSON value: wrong types, extremes, deep nesting
    None, True, False, 0, -1, 1.5, -0.0, "", "x", "x" * 1000, [], {}, [[]], {"a": 1}, 2**70,
    *INTERESTING, *(-n for n in INTERESTING), *(RAW + str(i) for i in range(len(RAW_TEXTS))),
    {"numpy": ["int8", 1000]}, {"numpy": ["uint8", -1]}, {"numpy": []}, {"numpy": ["float32"]},
    {"numpy": ["float16", 1e300]}, {"numpy": ["complex64", 1]}, {"numpy": ["bool", 2]},
    {"float": "nan"}, {"float": 1}, {"tensor": "nowhere"}, {"tensor": ["x"]}, {"dict": "ab"},
    {"dict": [[1.5, 2]]}, {"dict": [[True, 2]]}, {"dict": [[[], 2]]}, {"list": 3},
    {"tuple": {}},
    {"dtype": "F32", "shape": [2**64], "data_offsets": [0, 4]},
    {"dtype": "F32", "shape": [1] * 100, "data_offsets": [0, 4]},
    {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]},
    {"dtype": "F32", "shape": [0, 2**64 - 1], "data_offsets": [0, 0]},
    {"dtype": "F32", "shape": [2**31, 2**31], "data_offsets": [0, 2**64 - 1]},
]  # fmt: skip


def hostile_json_value(rng: random.Random):
    """One of HOSTILE, as a fresh copy (mutations change values in place)."""
    value = rng.choice(HOSTILE)
    return json.loads(json.dumps(value)) if isinstance(value, (list, dict)) else value


def dump_json(value) -> str:
    text = json.dumps(value, allow_nan=True)
    if "\\u0000RAW:" not in text:
        return text
    # a RAW placeholder becomes its text (json.dumps escapes the NUL as \u0000)
    return re.sub(r'"\\u0000RAW:(\d+)"', lambda m: RAW_TEXTS[int(m[1])], text)


def mutate_json(value, rng: random.Random, rounds: int = 1):
    """A copy of a parsed JSON value with ``rounds`` random nodes replaced or removed."""
    for _ in range(rounds):
        paths = _json_paths(value, ())
        path = rng.choice(paths)
        if not path:
            value = hostile_json_value(rng)
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        choice = rng.random()
        if choice < 0.1 and isinstance(parent, dict):
            del parent[key]
        elif choice < 0.2 and isinstance(parent, list):
            parent.insert(key, parent[key])
        elif choice < 0.3:
            parent[key] = _get(value, rng.choice(paths))  # a copy of a subtree
        else:
            parent[key] = hostile_json_value(rng)
    return value


def _json_paths(value, path):
    """Paths to (at most 400) nodes of a JSON value, breadth first over its first 20 levels."""
    paths, queue = [], [(value, ())]
    while queue and len(paths) < 400:
        node, where = queue.pop(0)
        paths.append(where)
        if len(where) >= 20:
            continue
        if isinstance(node, dict):
            queue += [(item, (*where, key)) for key, item in list(node.items())[:50]]
        elif isinstance(node, list):
            queue += [(item, (*where, i)) for i, item in enumerate(node[:50])]
    return paths


def _get(value, path):
    for key in path:
        value = value[key]
    return json.loads(json.dumps(value))  # a copy, so the tree never contains itself


# ---- byte-level mutations ----------------------------------------------------------------
def mutate_bytes(data: bytes, rng: random.Random, seeds: list) -> bytes:
    """One generic byte mutation of ``data`` (libFuzzer's repertoire, in short)."""
    data = bytearray(data)
    n = len(data)
    kind = rng.randrange(9)
    if kind == 0 and n:
        data[rng.randrange(n)] ^= 1 << rng.randrange(8)
    elif kind == 1 and n:
        data[rng.randrange(n)] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, ord("{"), ord("[")])
    elif kind == 2:
        at = rng.randrange(n + 1)
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    elif kind == 3 and n:
        at = rng.randrange(n)
        del data[at : at + rng.randrange(1, 64)]
    elif kind == 4 and n >= 8:
        width, order = rng.choice([1, 2, 4, 8]), rng.choice("<>")
        value = rng.choice(INTERESTING) % 256**width
        at = rng.randrange(n - width + 1)
        data[at : at + width] = value.to_bytes(width, "little" if order == "<" else "big")
    elif kind == 5 and n:
        at = rng.randrange(n)
        span = data[at : at + rng.randrange(1, 32)]
        data[at:at] = span * rng.choice([1, 2, 100, 1000])
    elif kind == 6:
        other = rng.choice(seeds)
        cut, cut2 = rng.randrange(n + 1), rng.randrange(len(other) + 1)
        data = data[:cut] + other[cut2:]
    elif kind == 7 and n:
        del data[rng.randrange(n) :]
    else:
        data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 17)))
    return bytes(data)


# ---- structure-aware mutations, one per format -------------------------------------------
def mutate_safetensors(data: bytes, rng: random.Random) -> bytes:
    """Mutate the JSON header, or the checkpoint tree inside its metadata; fix the length."""
    try:
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
        body = data[8 + length :]
    except (ValueError, struct.error):
        return data
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if isinstance(metadata, dict) and "__abinitio__" in metadata and rng.random() < 0.6:
        try:
            tree = json.loads(metadata["__abinitio__"])
        except (ValueError, TypeError):
            tree = None
        if tree is not None:
            metadata["__abinitio__"] = dump_json(mutate_json(tree, rng, rng.choice([1, 1, 2, 3])))
    else:
        header = mutate_json(header, rng, rng.choice([1, 1, 2]))
    if rng.random() < 0.2:
        body = body[: rng.randrange(len(body) + 1)] + b"\x00" * rng.choice([0, 4, 1000])
    text = dump_json(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def mutate_json_file(data: bytes, rng: random.Random) -> bytes:
    try:
        value = json.loads(data)
    except ValueError:
        return data
    return dump_json(mutate_json(value, rng, rng.choice([1, 2]))).encode()


TOML_VALUES = [
    "0", "-1", "1.5", "nan", "-inf", "inf", "1e999", "9" * 5000, "0x7fffffffffffffff",
    '""', '"x"', "'raw'", '"""multi\nline"""', "true", "false", "[]", "[1, 2]", "{a = 1}",
    "[" * 1000 + "]" * 1000, "[" * 100_000, "{a = " * 500 + "1" + "}" * 500,
    "1979-05-27T07:32:00Z", "07:32:00", '"\\ud800"', '"\\u00e9"', '"\\x00"', "+1_000", "0b102",
]  # fmt: skip
TOML_KEYS = ["epochs", "batch_size", "batch-size", "lr", "model", "dataset", "seed", "dropout",
             "shuffle", "optimizer", "out", "weight_decay", "grad_clip", "context", "unknown",
             '"quoted key"', "a.b", "[table]", "[[array]]", ""]  # fmt: skip


def mutate_toml(data: bytes, rng: random.Random) -> bytes:
    lines = data.decode("utf-8", errors="replace").split("\n")
    at = rng.randrange(len(lines) + 1)
    choice = rng.random()
    if choice < 0.5 and lines:
        i = rng.randrange(len(lines))
        key = lines[i].split("=")[0].strip() or rng.choice(TOML_KEYS)
        lines[i] = f"{key} = {rng.choice(TOML_VALUES)}"
    elif choice < 0.8:
        lines.insert(at, f"{rng.choice(TOML_KEYS)} = {rng.choice(TOML_VALUES)}")
    elif lines:
        lines.insert(at, lines[rng.randrange(len(lines))])  # a duplicate key
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


def mutate_idx(data: bytes, rng: random.Random) -> bytes:
    """Change the type code, the dimension count or one size; maybe gzip, maybe a bomb."""
    if data[:2] == b"\x1f\x8b":  # at most 1 MB of it: it may be a bomb from a past round
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as file:
            data = file.read(2**20)
    raw = bytearray(data)
    if len(raw) >= 4:
        choice = rng.random()
        if choice < 0.25:
            raw[2] = rng.choice([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF])
        elif choice < 0.5:
            raw[3] = rng.choice([0, 1, 2, 3, 4, 64, 65, 255])
        elif len(raw) >= 8:
            ndim = max(1, min(raw[3], (len(raw) - 4) // 4))
            at = 4 + 4 * rng.randrange(ndim)
            raw[at : at + 4] = struct.pack(">I", rng.choice(INTERESTING) % 2**32)
    raw = bytes(raw)
    choice = rng.random()
    if choice < 0.1:  # gzip bombs: a header claiming much, or a small claim and 1.5 GB
        claim = rng.choice([2**20, 2**30, 2**32 - 1])
        if rng.random() < 0.5:
            return gzip_bomb(bytes([0, 0, 8, 1]) + struct.pack(">I", claim), 2**16)
        return gzip_bomb(bytes([0, 0, 8, 1, 0, 0, 0, 10]), rng.choice([2**20, 3 * 2**29]))
    if choice < 0.4:
        return gzip.compress(raw, compresslevel=1)
    return raw


_ZEROS_MEMBER = []


def gzip_bomb(header: bytes, zeros: int) -> bytes:
    """A gzip file (one member per MB) that inflates to ``header`` and ``zeros`` zero bytes:
    about 1 KB per MB, so 1.5 GB of zeros is a 1.6 MB file, built without 1.5 GB."""
    if not _ZEROS_MEMBER:
        _ZEROS_MEMBER.append(gzip.compress(bytes(2**20), compresslevel=9))
    full, rest = divmod(zeros, 2**20)
    return gzip.compress(header + bytes(rest)) + _ZEROS_MEMBER[0] * full


def mutate_npy(data: bytes, rng: random.Random) -> bytes:
    """Rewrite the .npy header dict: descr, fortran_order or shape, or the header length."""
    match = re.match(rb"(\x93NUMPY..)(..)(\{.*?\})(\s*\n)", data, re.S)
    if not match:
        return data
    header = match[3].decode("latin-1")
    choice = rng.random()
    if choice < 0.35:
        descr = rng.choice(["<f4", "<f8", "|u1", "|b1", "<i8", ">f4", "|O", "<U10", "|V8",
                            "<c16", "<M8[s]", "[('a', '<f4')]", "<f2", "x"])  # fmt: skip
        header = re.sub(r"'descr': [^,]+,", f"'descr': {descr!r},", header)
    elif choice < 0.5:
        header = header.replace("False", rng.choice(["True", "1", "None"]))
    elif choice < 0.9:
        dims = rng.choice([(), (0,), (2**62,), (2**31, 2**31), (-1,), (1,) * 70,
                           (1, 8, 8), (8, 8), (3,), (10**6, 10**6)])  # fmt: skip
        header = re.sub(r"'shape': \([^)]*\)", f"'shape': {dims!r}", header)
    else:
        header = "(" * 100 + header
    body = data[match.end() :]
    text = (header + match[4].decode("latin-1")).encode("latin-1")
    if rng.random() < 0.2:
        body = body[: rng.randrange(len(body) + 1)]
    return match[1] + struct.pack("<H", len(text)) + text + body


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    pieces = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\r\n", b"\r",
              "é".encode(), "\U0001f600".encode(), b"\xf4\x90\x80\x80"]  # fmt: skip
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(pieces) * rng.choice([1, 3]) + data[at:]


# ---- the targets ---------------------------------------------------------------------
@dataclass
class Target:
    """A reader under test. ``read(path)`` reads the file at ``path``; ``errors`` are the
    exception types it documents; every one of them must name the file (``names_file``)."""

    name: str
    read: object
    errors: tuple
    seeds: list
    structured: object
    suffix: str = ""
    names_file: tuple | None = None  # the errors whose message names the file (all of them)
    in_dir: str = ""  # the reader takes a directory holding the file under this name
    notes: dict = field(default_factory=dict)


LAST = {"outcome": ""}  # what the latest check saw: "accepted", or the documented error


def check(target: Target, data: bytes, folder: str):
    """Run ``target`` on ``data``. ``None`` if it read it or refused it as documented;
    otherwise a one-line description of what went wrong."""
    if target.in_dir:
        where = tempfile.mkdtemp(dir=folder)
        path = os.path.join(where, target.in_dir)
    else:
        where = path = os.path.join(folder, "input" + target.suffix)
    with open(path, "wb") as file:
        file.write(data)
    LAST["outcome"] = "accepted"
    try:
        target.read(where)
    except target.errors as error:
        LAST["outcome"] = f"{type(error).__name__}: {str(error).replace(where, '<file>')}"
        named = target.errors if target.names_file is None else target.names_file
        if isinstance(error, named) and where not in str(error):
            return f"{type(error).__name__} does not name the file: {error}"[:300]
        return None
    except Exception as error:  # noqa: BLE001 - any other exception is what we hunt for
        return f"{type(error).__name__}: {error}"[:300]
    finally:
        if target.in_dir:
            for name in os.listdir(where):
                os.remove(os.path.join(where, name))
            os.rmdir(where)
    return None


def mutate(target: Target, data: bytes, rng: random.Random) -> bytes:
    """One to three mutations, structured ones in half the cases."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        if rng.random() < 0.5:
            try:
                data = target.structured(data, rng)
            except Exception:  # noqa: BLE001 - a seed the format's own parser refuses
                pass
        else:
            data = mutate_bytes(data, rng, target.seeds)
    return data


def targets() -> dict:
    """Every file format abinitio reads, by name (imports the readers lazily)."""
    return {target.name: target for target in (
        _load_target(), _checkpoint_target(), _idx_target(), _config_target(),
        _run_config_target(), _text_target(), _vocab_target(), _npy_target(),
        _cache_target(), _csv_target(), _linqs_target(), _image_target(),
        _active_state_target(), _label_csv_target(), _rl_checkpoint_target(),
        _tune_metrics_target(),
    )}  # fmt: skip


def _tensor_seeds() -> list:
    import abinitio as ab
    from safetensors.numpy import save as save_bytes

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "seed.safetensors")
        seeds = []
        checkpoint = {"model": {"fc.weight": ab.ones(2, 3), "fc.bias": np.zeros(2, np.float64)},
                      "epoch": 3, "betas": (0.9, 0.999), "nan": float("nan"),
                      "state": {0: {"step": np.int64(7), "lr": np.float32(0.5)}},
                      "flags": [True, None, "text", -2, np.bool_(True)]}  # fmt: skip
        for obj in (checkpoint, {"w": np.arange(6, dtype=np.int8).reshape(2, 3)}, {}):
            ab.save(obj, path)
            with open(path, "rb") as file:
                seeds.append(file.read())
    seeds.append(save_bytes({"a": np.ones((2, 2), np.float16), "b": np.arange(3, dtype=np.uint32)}))
    return seeds


def _load_target() -> Target:
    import abinitio as ab
    from abinitio.serialization import CheckpointError

    return Target("load", ab.load, (CheckpointError,), _tensor_seeds(), mutate_safetensors,
                  ".safetensors")  # fmt: skip


def _tiny_training():
    import abinitio as ab
    from abinitio.training import EarlyStopping

    model = ab.nn.Sequential(ab.nn.Linear(2, 3), ab.nn.ReLU(), ab.nn.Linear(3, 2))
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01)
    return model, optimizer, [EarlyStopping(monitor="train_loss")]


def _checkpoint_target() -> Target:
    """``--resume``: read the run directory's checkpoint and restore it (model, Adam state,
    callbacks, random generator, history)."""
    import abinitio as ab
    from abinitio.serialization import CheckpointError
    from abinitio.training import History
    from abinitio.training.checkpoint import (
        CheckpointMismatchError, load_checkpoint, restore, save_checkpoint,
    )  # fmt: skip

    model, optimizer, callbacks = _tiny_training()
    model(ab.ones(4, 2)).sum().backward()
    optimizer.step()
    with tempfile.TemporaryDirectory() as folder:
        history = History([{"epoch": 1, "train_loss": 0.5, "seconds": 0.1}])
        path = save_checkpoint(folder, epoch=1, model=model, optimizer=optimizer,
                               callbacks=callbacks, history=history)  # fmt: skip
        with open(path, "rb") as file:
            seeds = [file.read()]

    def read(folder):  # what Trainer.fit(resume=True) does, then one more step
        model, optimizer, callbacks = _tiny_training()
        state = load_checkpoint(folder)
        restore(state, model=model, optimizer=optimizer, callbacks=callbacks)
        History(state["history"])
        optimizer.zero_grad()
        model(ab.ones(4, 2)).sum().backward()
        optimizer.step()

    errors = (CheckpointError, CheckpointMismatchError)
    return Target("checkpoint", read, errors, seeds, mutate_safetensors,
                  in_dir="checkpoint.safetensors", names_file=(CheckpointError,))  # fmt: skip


def _idx_target() -> Target:
    from abinitio.data.datasets.vision import read_idx, write_idx

    seeds = []
    with tempfile.TemporaryDirectory() as folder:
        rng = np.random.default_rng(0)
        arrays = [rng.integers(0, 256, (3, 4, 4)).astype(np.uint8),
                  np.arange(5, dtype=np.uint8), rng.standard_normal((2, 3)).astype(np.float32),
                  np.array([-3, 7], np.int16), np.zeros((0, 28, 28), np.uint8)]  # fmt: skip
        for i, array in enumerate(arrays):
            for suffix in ("", ".gz"):
                path = os.path.join(folder, f"seed{i}{suffix}")
                write_idx(path, array)
                with open(path, "rb") as file:
                    seeds.append(file.read())
    return Target("idx", read_idx, (ValueError,), seeds, mutate_idx, "-idx3-ubyte")


TOML_SEED = b"""# a config file
model = "mlp"
dataset = "moons"
epochs = 3
batch_size = 32
lr = 0.01
optimizer = "adam"
seed = 0
dropout = 0.1
shuffle = true
grad_clip = 1.0
weight-decay = 0.0
"""


def _config_target() -> Target:
    from abinitio.cli.options import UsageError
    from abinitio.cli.train import resolve_config

    seeds = [TOML_SEED, b'dataset = "digits"\n', b"", b'model = "cnn"\nepochs = 1\n']
    return Target("config", lambda path: resolve_config({}, path), (UsageError,), seeds,
                  mutate_toml, ".toml", names_file=())  # fmt: skip


def _run_config_target() -> Target:
    from abinitio.cli.options import UsageError
    from abinitio.cli.train import config_of_run

    seeds = [TOML_SEED + b'out = "runs/x"\n', b'model = "gpt"\ndataset = "text"\ncontext = 8\n']
    return Target("run-config", config_of_run, (UsageError,), seeds, mutate_toml,
                  in_dir="config.toml", names_file=())  # fmt: skip


def _text_target() -> Target:
    from abinitio.data.datasets.text import text

    seeds = [b"def f(x):\n    return x * 2\n" * 20, "h\u00e9llo w\u00f6rld \u4e16\u754c\n".encode(),
             b"a", b"ab\r\ncd\n"]  # fmt: skip
    return Target("text", text, (ValueError,), seeds, mutate_text, ".txt")


def _vocab_target() -> Target:
    from abinitio.cli.options import UsageError
    from abinitio.cli.text import read_vocab
    from abinitio.data.tokenizer import CharTokenizer

    texts = ("hello world", "def f(x):\n\treturn x", "\u00e9\u4e16\U0001f600")
    seeds = [CharTokenizer.from_text(text).to_json().encode() for text in texts]
    return Target("vocab", read_vocab, (UsageError,), seeds, mutate_json_file, ".json")


def _npy_target() -> Target:
    from abinitio.cli.commands import read_input_array
    from abinitio.cli.options import UsageError

    seeds = []
    arrays = (np.zeros((1, 8, 8), np.float32), np.arange(64.0).reshape(8, 8),
              np.ones((3, 2), np.int64), np.asfortranarray(np.ones((2, 3), np.float32)))
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array)
        seeds.append(buffer.getvalue())
    return Target("npy", read_input_array, (UsageError,), seeds, mutate_npy, ".npy")


def _cache_target() -> Target:
    from pathlib import Path

    from abinitio.data.datasets.resources import load_arrays

    return Target("cache", lambda path: load_arrays(Path(path)), (ValueError,), _tensor_seeds(),
                  mutate_safetensors, ".safetensors")  # fmt: skip


CSV_PIECES = [b",", b";", b"\t", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xff",
              b"\xef\xbb\xbf", b"nan", b"inf", b"-1e999", b"9" * 400, b"x" * 200_000, b",,,,",
              b'"a\nb"', b"true"]  # fmt: skip


CSV_MAX_BYTES = 256 * 1024  # room for a 200,000-byte field, but no megabyte tables


def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    """Insert a CSV-significant piece; tables are capped at CSV_MAX_BYTES, since a corpus
    that grows into megabyte tables spends its time parsing, not exploring."""
    at, piece = rng.randrange(len(data) + 1), rng.choice(CSV_PIECES)
    grown = data[:at] + piece * (rng.choice([1, 2, 50]) if len(piece) < 10 else 1) + data[at:]
    return grown[:CSV_MAX_BYTES]


def _csv_target() -> Target:
    """A table for ``abinitio train --dataset csv:FILE``: read, then column types inferred."""
    from abinitio.data.tabular import infer_column_types, read_csv

    def read(path):
        infer_column_types(read_csv(path))

    seeds = [b"city,size,price\nParis,3,1.5\nLyon,2,0.9\nNice,,1.1\n",
             b"a;b;flag\n1;x;true\n2;y;false\n", b"x\ty\n1\t2\n3\t4\n"]  # fmt: skip
    return Target("csv", read, (ValueError,), seeds, mutate_csv, ".csv")



# ---- graphs, images, active learning, rl and tune (the readers of issues 14-20) -------------
LINQS_SPLIT = b"\n%%cites%%\n"  # one input holds both files: content, this line, cites
TOKENS = [b"0", b"1", b"-1", b"nan", b"inf", b"1e999", b"9" * 400, b"x", b"", b" ", b"\t",
          b"\xff", b"\x00", b"0.5", b"p1", b"p2", b"label", b"\n", b"\r\n"]  # fmt: skip


def _linqs_seed(papers: int, words: int, classes: int, rng) -> bytes:
    content = b"".join(
        b"p%d\t%s\tc%d\n" % (i, b"\t".join(b"%d" % rng.integers(0, 2) for _ in range(words)),
                             rng.integers(0, classes))
        for i in range(papers)
    )  # fmt: skip
    cites = b"".join(b"p%d\tp%d\n" % tuple(rng.integers(0, papers + 2, 2)) for _ in range(papers))
    return content + LINQS_SPLIT + cites


def mutate_fields(data: bytes, rng: random.Random) -> bytes:
    """Whitespace-separated records: replace, drop or add one field, or duplicate a line."""
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    fields = lines[i].split(b"\t")
    choice = rng.random()
    if choice < 0.5:
        fields[rng.randrange(len(fields))] = rng.choice(TOKENS)
    elif choice < 0.7 and len(fields) > 1:
        del fields[rng.randrange(len(fields))]
    elif choice < 0.85:
        fields.insert(rng.randrange(len(fields) + 1), rng.choice(TOKENS))
    else:
        lines.insert(i, lines[rng.randrange(len(lines))])
    lines[i] = b"\t".join(fields)
    return b"\n".join(lines)


def _linqs_target() -> Target:
    """``--dataset cora:DIR``: a LINQS citation graph (``cora.content``, ``cora.cites``)."""
    import shutil

    from abinitio.graph.datasets import read_linqs

    def read(path):
        with open(path, "rb") as file:
            content, _, cites = file.read().partition(LINQS_SPLIT)
        directory = path + ".d"
        os.makedirs(directory)
        try:
            for name, data in (("cora.content", content), ("cora.cites", cites)):
                with open(os.path.join(directory, name), "wb") as file:
                    file.write(data)
            read_linqs(directory, "cora")
        finally:
            shutil.rmtree(directory)

    rng = np.random.default_rng(0)
    seeds = [_linqs_seed(40, 5, 3, rng), _linqs_seed(12, 3, 2, rng), _linqs_seed(3, 1, 1, rng)]
    return Target("linqs", read, (ValueError,), seeds, mutate_fields, ".linqs")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def mutate_image(data: bytes, rng: random.Random) -> bytes:
    """PNG: claim another width, height, bit depth or colour type (the CRC fixed, so the
    decoder believes it); other formats: overwrite a header field."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
        choice = rng.random()
        if choice < 0.5:
            width, height = (rng.choice([0, 1, 2**15, 2**16, 10**5, 2**31 - 1, 2**32 - 1])
                             if rng.random() < 0.5 else v for v in (width, height))  # fmt: skip
        elif choice < 0.75:
            depth = rng.choice([1, 2, 4, 8, 16, 3, 0, 255])
        else:
            colour = rng.choice([0, 2, 3, 4, 6, 1, 7, 255])
        body = struct.pack(">IIBB", width, height, depth, colour) + data[26:29]
        return data[:8] + _png_chunk(b"IHDR", body) + data[33:]
    raw = bytearray(data)
    if len(raw) > 30:
        at = rng.randrange(2, 30)
        raw[at : at + 4] = struct.pack("<I", rng.choice(INTERESTING) % 2**32)
    return bytes(raw)


def _image_seeds() -> list:
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
    seeds = []
    for mode, fmt in (("RGB", "PNG"), ("L", "PNG"), ("P", "PNG"), ("RGBA", "PNG"),
                      ("RGB", "JPEG"), ("RGB", "BMP"), ("P", "GIF"), ("RGB", "TIFF"),
                      ("RGB", "WEBP")):  # fmt: skip
        buffer = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(buffer, fmt)
        seeds.append(buffer.getvalue())
    return seeds


def _image_target() -> Target:
    """``--dataset images:DIR``: the folder scanned (every file decoded once), then a
    sample read as training reads it (resized, to a tensor)."""
    import shutil

    from abinitio.cli.images import open_folder, transform_of
    from abinitio.cli.options import UsageError
    from abinitio.data.datasets.image_folder import UnreadableImageError

    good = _image_seeds()[0]

    def read(path):
        root = path + ".d"
        for name in ("cat", "dog"):
            os.makedirs(os.path.join(root, name))
        try:
            shutil.copyfile(path, os.path.join(root, "cat", "input.png"))
            with open(os.path.join(root, "dog", "good.png"), "wb") as file:
                file.write(good)
            with warnings.catch_warnings():  # Pillow's notes on damaged TIFF tags
                warnings.simplefilter("ignore", UserWarning)
                folder, _, _ = open_folder(root, skip_bad_files=False, log=lambda m: None)
                folder.transform = transform_of({"image_size": 8})
                folder[0]
        finally:
            shutil.rmtree(root)

    return Target("image", read, (UsageError, UnreadableImageError), _image_seeds(),
                  mutate_image, ".png")  # fmt: skip


def _active_pool():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2)).astype(np.float32)
    return x, (x[:, 1] > 0).astype(np.int64)


def _active_loop(state_dir):
    from abinitio import nn
    from abinitio.active import ActiveLearner, ActiveLoop, ArrayOracle, NetworkClassifier

    x, y = _active_pool()
    classifier = NetworkClassifier(lambda: nn.Linear(2, 2), 2, steps=3, lr=0.1)
    return ActiveLoop(ActiveLearner(classifier), x, ArrayOracle(y), n_instances=3,
                      n_initial=4, num_classes=2, state_dir=state_dir, log=None)  # fmt: skip


def _active_state_target() -> Target:
    """``abinitio active --pool ... --out DIR`` resumed: ``state.json`` read, the labelled
    set taught, then one more round."""
    with tempfile.TemporaryDirectory() as folder:
        seeds = []
        loop = _active_loop(folder)
        for _ in range(3):
            loop.step()
            with open(os.path.join(folder, "state.json"), "rb") as file:
                seeds.append(file.read())

    def read(directory):
        _active_loop(directory).step()

    return Target("active-state", read, (ValueError,), seeds, mutate_json_file,
                  in_dir="state.json")  # fmt: skip


def _label_csv_target() -> Target:
    """``abinitio active --oracle file``: the filled-in ``to_label.csv`` read back."""
    from abinitio.active import FileOracle

    seeds = [b"index,label\n3,cat\n7,dog\n9,\n", b"index,label\n0,dog\n",
             b"index,label\r\n1,cat\r\n2,\"dog\"\r\n"]  # fmt: skip
    return Target("label-csv", lambda path: FileOracle(path, ["cat", "dog"]).read(),
                  (ValueError,), seeds, mutate_csv, ".csv")  # fmt: skip


def _rl_checkpoint_target() -> Target:
    """``abinitio rl train --resume`` / ``evaluate`` / ``play``: an agent's checkpoint
    loaded (policy, optimiser, environments, counters), then one greedy action."""
    from abinitio.cli.options import UsageError
    from abinitio.cli.rl import _load
    from abinitio.rl import DQN, PPO

    seeds = []
    with tempfile.TemporaryDirectory() as folder:
        for agent in (PPO("CartPole-v1", seed=0, num_envs=2, num_steps=8, update_epochs=1),
                      DQN("CartPole-v1", seed=0, num_envs=1, buffer_size=64,
                          learning_starts=8, batch_size=4)):  # fmt: skip
            agent.learn(16)
            with open(agent.save_checkpoint(folder), "rb") as file:
                seeds.append(file.read())

    def read(directory):
        agent = _load(directory)
        agent.act(agent.next_obs, deterministic=True)

    return Target("rl-checkpoint", read, (UsageError,), seeds, mutate_safetensors,
                  in_dir="checkpoint.safetensors")  # fmt: skip


def _tune_metrics_target() -> Target:
    """``abinitio tune`` resumed: the best trial's retrained ``metrics.json`` read back."""
    from abinitio.cli.options import UsageError
    from abinitio.cli.tune import read_retrained

    seeds = [json.dumps({"history": [{"epoch": 1, "train_loss": 0.5}], "test_loss": 0.3,
                         "test_accuracy": 0.9, "parameters": 100, "epochs_run": 1,
                         "test_report": {"accuracy": 0.9}}).encode()]  # fmt: skip
    return Target("tune-metrics", read_retrained, (UsageError,), seeds, mutate_json_file,
                  in_dir="metrics.json")  # fmt: skip
