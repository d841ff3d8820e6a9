"""Every file format abinitio reads, fed hostile bytes: only documented errors come out,
nothing hangs, and a header's claims cannot make a reader allocate what the file lacks.

The short in-suite version of ``scripts/fuzz.py`` (which runs >= 100,000 inputs per
target): the crashes a first probe found, one test each; hypothesis-driven mutation of
each target's seeds (hypothesis draws every mutation, so a failure shrinks to a small
one); and memory checks with tracemalloc (NumPy reports its allocations to it).
"""

import gzip
import json
import re
import struct
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing
import abinitio as ab
from abinitio.cli.commands import read_input_array
from abinitio.cli.options import UsageError, read_toml
from abinitio.data.datasets.vision import read_idx
from abinitio.serialization import METADATA_KEY, CheckpointError

TARGETS = fuzzing.targets()


def safetensors_bytes(header, data: bytes = b"") -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def with_tree(tree_text: str) -> bytes:
    return safetensors_bytes({"__metadata__": {METADATA_KEY: tree_text}})


def tree(node) -> str:
    return json.dumps({"version": 1, "tree": node})


# ---- the crashes the first probe found: each now a CheckpointError that says why ---------
KNOWN = {
    "deep header": (safetensors_bytes(b'{"a":' + b"[" * 10**5 + b"]" * 10**5 + b"}"),
                    "the header is corrupted: its JSON is nested too deeply"),  # fmt: skip
    "deep metadata": (with_tree('{"version":1,"tree":' + "[" * 10**5 + "]" * 10**5 + "}"),
                      "nested too deeply"),  # fmt: skip
    "deep tree": (with_tree(tree(json.loads('{"list":[' * 300 + "]}" * 300))),
                  "nested deeper than 100 levels"),  # fmt: skip
    "shape 1e999": (safetensors_bytes(b'{"w":{"dtype":"F32","shape":[1e999],'
                                      b'"data_offsets":[0,4]}}', bytes(4)),
                    r"shape \[inf\], not a list of at most 64 non-negative integers"),  # fmt: skip
    "shape of 2**64": (safetensors_bytes({"w": {"dtype": "F32", "shape": [2**64, 2**64],
                                                "data_offsets": [0, 4]}}, bytes(4)),
                       "too large for NumPy"),  # fmt: skip
    "offsets that do not fit the shape": (safetensors_bytes({"w": {"dtype": "F32",
        "shape": [2**20, 2**20], "data_offsets": [0, 4]}}, bytes(4)),
        r"offsets 0\.\.4 for 4398046511104 bytes of data"),  # fmt: skip
    "empty but huge": (safetensors_bytes({"w": {"dtype": "F32", "shape": [0, 2**64 - 1],
                                                "data_offsets": [0, 0]}}),
                       "too large for NumPy"),  # fmt: skip
    "100 dimensions": (safetensors_bytes({"w": {"dtype": "F32", "shape": [1] * 100,
                                                "data_offsets": [0, 4]}}, bytes(4)),
                       "not a list of at most 64"),  # fmt: skip
    "int8 scalar of 1000": (with_tree(tree({"numpy": ["int8", 1000]})),
                            "1000 is not a value of a NumPy int8 scalar"),  # fmt: skip
    "uint8 scalar of -1": (with_tree(tree({"numpy": ["uint8", -1]})), "-1 is not a value"),
    "float16 scalar of 1e300": (with_tree(tree({"numpy": ["float16", 1e300]})),
                                "not a value of a NumPy float16"),  # fmt: skip
    "numpy node without items": (with_tree(tree({"numpy": []})), r"unexpected node"),
    "numpy node without value": (with_tree(tree({"numpy": ["float32"]})), r"unexpected node"),
    "dict node of a string": (with_tree(tree({"dict": "ab"})), r"unexpected node"),
    "5000-digit integer": (with_tree('{"version":1,"tree":' + "9" * 5000 + "}"),
                           "not valid JSON"),  # fmt: skip
    "metadata a list": (safetensors_bytes({"__metadata__": [1]}), "not an object of strings"),
}


@pytest.mark.parametrize("case", KNOWN)
def test_hostile_safetensors_is_a_checkpoint_error_naming_the_problem(case, tmp_path):
    data, message = KNOWN[case]
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(data)
    expected = r"cannot load '.*hostile\.safetensors': .*" + message
    with pytest.raises(CheckpointError, match=expected):
        ab.load(path)


def test_save_refuses_what_load_would_refuse(tmp_path):
    nested = []
    for _ in range(150):
        nested = [nested]
    with pytest.raises(ValueError, match="nest deeper than 100 levels"):
        ab.save({"x": nested}, tmp_path / "deep.safetensors")
    deepest = json.loads("[" * 99 + "]" * 99)  # 99 lists in the dict: 100 levels, the limit
    ab.save({"x": deepest}, tmp_path / "ok.safetensors")
    assert ab.load(tmp_path / "ok.safetensors")["x"] == deepest


@pytest.mark.parametrize(
    "text, message",
    [
        (b"epochs = " + b"9" * 5000, "not valid TOML: Exceeds the limit"),
        (b"a = " + b"[" * 5000 + b"]" * 5000, "not valid TOML"),
        (b"model = '\xff'", "not valid TOML"),
        (b'epochs = "3"', "option 'epochs' must be int, got str '3'"),
        (b"shuffle = 1", "option 'shuffle' must be bool, got int 1"),
        (b"lr = true", "option 'lr' must be float, got bool True"),
        (b"lr = " + b"9" * 400, "option 'lr' must be float, got int 999"),
        (b"[table]\nx = 1", "tables are not supported"),
    ],
)
def test_a_hostile_config_file_is_a_usage_error(text, message, tmp_path):
    from abinitio.cli.options import TrainConfig

    path = tmp_path / "config.toml"
    path.write_bytes(text)
    with pytest.raises(UsageError, match=message):
        TrainConfig().merged(read_toml(str(path)))


def test_float_options_take_integers_from_a_file(tmp_path):
    from abinitio.cli.options import TrainConfig

    path = tmp_path / "config.toml"
    path.write_bytes(b"lr = 1\nepochs = 2")
    config = TrainConfig().merged(read_toml(str(path)))
    assert (config.lr, config.epochs) == (1, 2)


# ---- memory: what a header claims is checked against what the file holds ------------
def peak_bytes(read, path) -> int:
    tracemalloc.start()
    try:
        read(path)
    except (ValueError, UsageError):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


GB = 2**30


def test_a_safetensors_header_claiming_a_gigabyte_allocates_nothing_like_it(tmp_path):
    path = tmp_path / "claims.safetensors"
    path.write_bytes(safetensors_bytes({"w": {"dtype": "U8", "shape": [GB],
                                              "data_offsets": [0, GB]}}, bytes(16)))  # fmt: skip
    assert peak_bytes(ab.load, path) < 2**20


def test_a_npy_header_claiming_a_gigabyte_allocates_nothing_like_it(tmp_path):
    path = tmp_path / "claims.npy"
    np.save(path, np.zeros(4, np.uint8))
    raw = path.read_bytes().replace(b"(4,)", b"(%d,)" % GB)
    path.write_bytes(raw)
    with pytest.raises(UsageError, match=r"claims\.npy'.*header promises shape \(1073741824,\)"):
        read_input_array(str(path))
    assert peak_bytes(read_input_array, str(path)) < 2**20
    header_length = bytearray(raw)  # version 2.0 with a 4-byte header length of 2 GB
    header_length[6:12] = bytes([2, 0]) + struct.pack("<I", 2 * GB)
    path.write_bytes(bytes(header_length))
    assert peak_bytes(read_input_array, str(path)) < 2**20


def test_a_npy_header_that_would_stall_numpy_is_refused_at_once(tmp_path):
    """Found by scripts/fuzz.py: a 9.7 KB header with a NUL byte took NumPy's header parser
    18 s of CPU. Headers over 4 KB, or holding a NUL, are refused before NumPy parses."""
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + b" " * 9600
    for body in (header + b"\x00\n", b"{'descr': '<f4'}\x00" + b" " * 100 + b"\n"):
        path = tmp_path / "slow.npy"
        path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body + bytes(8))
        started = time.process_time()
        with pytest.raises(UsageError, match=r"slow\.npy' is not a NumPy .npy array"):
            read_input_array(str(path))
        assert time.process_time() - started < 0.5


def test_gzipped_idx_reads_no_more_than_its_header_promises(tmp_path):
    bomb = tmp_path / "bomb-idx1-ubyte.gz"  # 10 values promised, 256 MB of zeros inside
    bomb.write_bytes(fuzzing.gzip_bomb(bytes([0, 0, 8, 1, 0, 0, 0, 10]), 2**28))
    with pytest.raises(ValueError, match=r"bomb-idx1-ubyte\.gz: too long IDX file"):
        read_idx(bomb)
    assert peak_bytes(read_idx, bomb) < 4 * 2**20
    claims = tmp_path / "claims-idx1-ubyte.gz"  # a gigabyte promised, 64 KB inside
    claims.write_bytes(fuzzing.gzip_bomb(bytes([0, 0, 8, 1]) + struct.pack(">I", GB), 2**16))
    with pytest.raises(ValueError, match=r"claims-idx1-ubyte\.gz: truncated IDX file"):
        read_idx(claims)
    assert peak_bytes(read_idx, claims) < 4 * 2**20
    empty = tmp_path / "empty-idx3-ubyte"  # 0 x 2**32-1 x 2**32-1: empty, yet too big for NumPy
    empty.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 0]) + b"\xff" * 8)
    with pytest.raises(ValueError, match=r"empty-idx3-ubyte: IDX sizes .* too large for NumPy"):
        read_idx(empty)
    small = tmp_path / "small-idx1-ubyte.gz"  # and a good file still reads
    small.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])))
    assert read_idx(small).tolist() == [7, 8, 9]


# ---- hypothesis-driven mutation of every target ------------------------------------------
@pytest.mark.parametrize("name", TARGETS)
def test_the_seeds_are_read(name, tmp_path):
    """The seeds are valid files: a mutation starts from something the reader accepts."""
    target = TARGETS[name]
    for seed in target.seeds:
        assert fuzzing.check(target, seed, str(tmp_path)) is None
        assert fuzzing.LAST["outcome"] == "accepted", fuzzing.LAST["outcome"]


@pytest.mark.parametrize("name", TARGETS)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_files_raise_only_documented_errors(name, data, tmp_path):
    target = TARGETS[name]
    seed = data.draw(st.sampled_from(target.seeds), label="seed")
    rng = data.draw(st.randoms(use_true_random=False), label="mutations")
    hostile = fuzzing.mutate(target, seed, rng)
    started = time.perf_counter()
    problem = fuzzing.check(target, hostile, str(tmp_path))
    assert problem is None, f"{name}: {problem} (input {hostile[:200]!r})"
    assert time.perf_counter() - started < 5, f"{name}: one input took over 5 s"


def test_check_reports_an_undocumented_error(tmp_path):
    """The harness can fail: a reader raising something it does not document is caught."""

    def reader(path):
        raise IndexError("list index out of range")

    target = fuzzing.Target("broken", reader, (ValueError,), [b"x"], fuzzing.mutate_text, ".txt")
    assert fuzzing.check(target, b"x", str(tmp_path)) == "IndexError: list index out of range"

    def vague(path):
        raise ValueError("something is wrong")

    target = fuzzing.Target("vague", vague, (ValueError,), [b"x"], fuzzing.mutate_text, ".txt")
    assert "does not name the file" in fuzzing.check(target, b"x", str(tmp_path))


def test_damaged_weights_and_vocab_are_usage_errors_naming_the_file(tmp_path):
    """evaluate, predict and generate read these: exit code 2 with a message, no traceback."""
    from abinitio.cli.text import read_vocab
    from abinitio.cli.train import load_weights

    model = ab.nn.Linear(2, 3)
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\x00" * 7)
    with pytest.raises(UsageError, match=r"cannot load '.*model\.safetensors': only 7 bytes"):
        load_weights(model, str(path))
    ab.save({"weight": ab.ones(3, 2)}, path)
    fit = r"(?s)model\.safetensors' does not fit the model: .*missing key: bias"
    with pytest.raises(UsageError, match=fit):
        load_weights(model, str(path))
    vocab = tmp_path / "vocab.json"
    for text in (b'{"vocab": 3}', b"[1]", b'{"vocab": "aa"}', b"\xff"):
        vocab.write_bytes(text)
        with pytest.raises(UsageError, match=r"vocab\.json' is not a vocabulary abinitio wrote"):
            read_vocab(str(vocab))


# ---- the readers of graphs, images, active learning, rl and tune: what fuzzing found ------
def test_a_hostile_linqs_graph_is_a_value_error_naming_the_file(tmp_path):
    from abinitio.graph.datasets import read_linqs

    content = b"p1\t1\t0\tc1\np2\t0\t1\tc2\n"
    cases = [
        (content, b"p1\tp2\tp3\n", r"cora\.cites, line 1: expected two paper ids"),
        (content, b"p1\n", r"cora\.cites, line 1: expected two paper ids .* got 1"),
        (content, b"p1\t\xffp2\n", r"cora\.cites: not UTF-8 text"),
        (b"p1\tx\t0\tc1\np2\t0\t1\tc2\n", b"", r"cora\.content: the features must be numbers"),
        (b"p1\tnan\t0\tc1\np2\t0\t1\tc2\n", b"", r"cora\.content, line 1: a feature is not"),
    ]
    for content_bytes, cites, message in cases:
        (tmp_path / "cora.content").write_bytes(content_bytes)
        (tmp_path / "cora.cites").write_bytes(cites)
        with pytest.raises(ValueError, match=message):
            read_linqs(str(tmp_path), "cora")
    (tmp_path / "cora.content").write_bytes(content)
    (tmp_path / "cora.cites").write_bytes(b"p1\tp2\n")
    assert read_linqs(str(tmp_path), "cora").num_nodes == 2


def png_claiming(width: int, height: int) -> bytes:
    """A 4 x 4 PNG whose header claims ``width`` x ``height`` (the CRC fixed)."""
    from PIL import Image

    buffer = __import__("io").BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    data = buffer.getvalue()
    body = struct.pack(">II", width, height) + data[24:29]
    return data[:8] + fuzzing._png_chunk(b"IHDR", body) + data[33:]


@pytest.mark.parametrize("side", [10_000, 20_000])
def test_an_image_claiming_a_hundred_million_pixels_is_refused_unread(side, tmp_path):
    """Pillow raised DecompressionBombError (not caught) beyond 179 million pixels, and
    below that only warned and decoded: 10,000 x 10,000 from a tiny file meant 300 MB."""
    from abinitio.cli.images import open_folder
    from abinitio.data.datasets.image_folder import UnreadableImageError, default_loader

    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "ok.png").write_bytes(png_claiming(4, 4))
    bomb = tmp_path / "cat" / "bomb.png"
    bomb.write_bytes(png_claiming(side, side))
    refused = r"bomb\.png.*Image size \(\d+ pixels\) exceeds limit"  # before any decoding
    with pytest.raises(UnreadableImageError, match=r"cannot read the image .*" + refused):
        default_loader(str(bomb))
    with pytest.raises(UsageError, match=r"cannot read the image .*" + refused):
        open_folder(str(tmp_path), skip_bad_files=False, log=lambda message: None)


def test_a_png_chunk_claiming_4_gb_allocates_nothing_like_it(tmp_path):
    """Found by scripts/fuzz.py: a 65-byte PNG whose IDAT chunk claims 4,278,190,127
    bytes. Pillow, reading from a file, ends with file.read(that many), which allocates
    the whole buffer first (a MemoryError under the fuzzer's address-space limit). The
    loaders now hand Pillow the file's bytes. Checked in a child process limited to 512 MB
    above its size, so that the test process is untouched."""
    import subprocess
    import sys

    path = tmp_path / "chunk.png"
    path.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000005000000060400000000eb60e696ff00002f49444154"
        "789c012400dbff00af440dba9e04f77be4f5ec04b7f7ed1d"))  # fmt: skip
    script = (
        "import resource, sys\n"
        "from types import SimpleNamespace\n"
        "from abinitio.cli.images import scan\n"
        "from abinitio.data.datasets.image_folder import UnreadableImageError, default_loader\n"
        "size = next(int(line.split()[1]) * 1024 for line in open('/proc/self/status')"
        " if line.startswith('VmSize'))\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + 2**29, resource.RLIM_INFINITY))\n"
        "bad, _ = scan(SimpleNamespace(samples=[(sys.argv[1], 0)]))\n"
        "assert len(bad) == 1 and 'MemoryError' not in bad[0][1], bad\n"
        "try:\n    default_loader(sys.argv[1])\nexcept UnreadableImageError:\n    pass\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-500:]


def test_a_hostile_active_learning_state_is_a_value_error_naming_it(tmp_path):
    good = json.loads(TARGETS["active-state"].seeds[-1])
    cases = {"labelled": [10**6], "labels": [5] * len(good["labels"]), "pending": "x",
             "round": -1, "history": [1], "pool": 3}  # fmt: skip
    for key, value in cases.items():
        (tmp_path / "state.json").write_text(json.dumps({**good, key: value}))
        with pytest.raises(ValueError, match=r"state\.json is not a state\.json ActiveLoop"):
            fuzzing._active_loop(str(tmp_path))
    for text in ("[" * 10**5, '{"pool": "a"}', "\xff"):
        (tmp_path / "state.json").write_text(text, encoding="latin-1")
        with pytest.raises(ValueError, match=r"state\.json is not a state\.json ActiveLoop"):
            fuzzing._active_loop(str(tmp_path))
    (tmp_path / "state.json").write_text(json.dumps(good))
    assert fuzzing._active_loop(str(tmp_path)).labelled == good["labelled"]


def test_a_hostile_label_file_is_a_value_error_naming_it(tmp_path):
    from abinitio.active import FileOracle

    path = tmp_path / "to_label.csv"
    cases = [(b"row,label\n1,cat\n", "expected the columns index,label"),
             (b"index,label\nx,cat\n", "line 2: index 'x' is not a non-negative integer"),
             (b"index,label\n" + b"9" * 5000 + b",cat\n", "is not a non-negative integer"),
             (b"index,label\n1,\"" + b"x" * 200_000 + b"\"\n", "not a CSV file this oracle"),
             (b"index,label\n1,c\xffat\n", "not UTF-8 text")]  # fmt: skip
    for data, message in cases:
        path.write_bytes(data)
        with pytest.raises(ValueError, match=r"to_label\.csv.*" + re.escape(message)):
            FileOracle(path, ["cat", "dog"]).read()
    path.write_bytes(b"index,label\n3,dog\n4,\n")
    assert FileOracle(path, ["cat", "dog"]).read() == {3: 1}


def test_an_rl_checkpoint_that_does_not_fit_is_a_usage_error(tmp_path):
    """A config asking for a billion environments is refused before any is built; state
    that does not fit the agent is a UsageError, not a RuntimeError."""
    from abinitio.cli.rl import _load
    from abinitio.serialization import load, save

    (tmp_path / "checkpoint.safetensors").write_bytes(TARGETS["rl-checkpoint"].seeds[0])
    good = load(tmp_path / "checkpoint.safetensors")
    cases = [({"config": {**good["config"], "num_envs": 10**9}}, "config num_envs = 1000000000"),
             ({"config": {**good["config"], "hidden": [2**40]}}, "config hidden"),
             ({"algo": "sarsa"}, "not an agent's checkpoint"),
             ({"algo": ["ppo"]}, "not an agent's checkpoint"),  # was: unhashable type
             ({"modules": {}}, "does not fit a ppo agent on CartPole-v1: KeyError"),
             ({"env_id": "NoSuchEnv-v0"}, "does not fit a ppo agent on NoSuchEnv-v0")]  # fmt: skip
    for change, message in cases:
        save({**good, **change}, tmp_path / "checkpoint.safetensors")
        started = time.process_time()
        with pytest.raises(UsageError, match=r"cannot load an agent from .*" + re.escape(message)):
            _load(str(tmp_path))
        assert time.process_time() - started < 5


def test_a_damaged_retraining_result_is_a_usage_error(tmp_path):
    from abinitio.cli.tune import read_retrained

    assert read_retrained(str(tmp_path)) is None
    for text in ("{", '{"test_accuracy": "high"}', '{"test_accuracy": 7}', "[" * 10**5):
        (tmp_path / "metrics.json").write_text(text)
        with pytest.raises(UsageError, match=r"metrics\.json is not a metrics\.json"):
            read_retrained(str(tmp_path))
    (tmp_path / "metrics.json").write_text('{"test_accuracy": 0.9}')
    assert read_retrained(str(tmp_path)) == {"test_accuracy": 0.9}
