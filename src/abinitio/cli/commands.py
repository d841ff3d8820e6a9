"""What each ``abinitio`` subcommand does, given its parsed arguments."""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from abinitio.cli.options import TrainConfig, UsageError
from abinitio.serialization import CheckpointError
from abinitio.training import CheckpointMismatchError, TrainingDiverged, TrainingInterrupted

TRAINING_STOPPED = (TrainingDiverged, TrainingInterrupted)


def train(args) -> int:
    from abinitio.cli import train as training

    # every TrainConfig field is an option of the command line under the same name
    names = [field.name for field in dataclasses.fields(TrainConfig)]
    options = {name: getattr(args, name, None) for name in names}
    progress = not getattr(args, "no_progress", False)
    distributed = getattr(args, "distributed", False)  # one rank of an mpiexec job (issue 12)
    if getattr(args, "resume", None):
        run_dir = args.resume
        overrides = {"epochs": options["epochs"]} if options["epochs"] is not None else {}
        config = training.config_of_run(run_dir, overrides)
        try:
            training.train(config, run_dir=run_dir, resume=True, progress=progress,
                           distributed=distributed)  # fmt: skip
        except (FileNotFoundError, CheckpointMismatchError, CheckpointError) as error:
            raise UsageError(f"cannot resume {run_dir!r}: {error}") from None
        return 0
    config = training.resolve_config(options, getattr(args, "config", None))
    training.train(config, progress=progress, distributed=distributed)
    return 0


def evaluate(args) -> int:
    from abinitio.cli import train as training
    from abinitio.nn import CrossEntropyLoss
    from abinitio.optim import SGD
    from abinitio.cli import graph as graph_cli  # issue 14
    from abinitio.cli import tabular
    from abinitio.training import Trainer

    if tabular.handles_run(args.run_dir):  # a table or an image folder (issue 20)
        return tabular.evaluate_run(args)
    if graph_cli.handles_run(args.run_dir):  # graphs and topology (issue 14)
        return graph_cli.evaluate_run(args)
    config, data, model = training.load_trained_model(args.run_dir)
    _, _, test_loader = training.loaders(data, config)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.0), CrossEntropyLoss(),
                      progress=False, log=None)  # fmt: skip
    results = training.evaluate_model(trainer, data, test_loader)
    results["parameters"] = sum(p.numel() for p in model.parameters())
    results["epochs_run"] = "-"
    print(f"{args.run_dir}: {config.model} on {config.dataset}")
    print(training.results_table(results))
    report = results["report"]
    print(f"{'macro F1':<13}  {report['macro_f1']:>12.4f}")
    return 0


def read_input_array(path: str) -> np.ndarray:
    """The numeric array in the .npy file ``path``. Its header is read first, and the size
    it claims checked against the file's, so a hostile header cannot make ``np.load``
    allocate more than the file holds; every problem is a UsageError naming the file."""
    if not os.path.isfile(path):
        raise UsageError(f"input file {path!r} does not exist")
    import tokenize  # np.lib.format's header parser can raise its TokenError

    try:
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"format version {version} (np.save writes 1.0 or 2.0)")
            width = 2 if version == (1, 0) else 4  # the header length: uint16 or uint32
            length = int.from_bytes(file.read(width), "little")
            if 8 + width + length > os.fstat(file.fileno()).st_size:
                raise ValueError(f"truncated: its header claims {length} bytes")
            if length > 4096:  # a numeric array's is under 2 KB; NumPy's parser is slow
                raise ValueError(f"its header is {length} bytes, more than numbers need")
            if b"\x00" in file.read(length):  # a NUL sends NumPy's parser into 18 s of CPU
                raise ValueError("its header holds a NUL byte")
            file.seek(8)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)  # fmt: skip
            shape, _, dtype = read_header(file)
            data_size = os.fstat(file.fileno()).st_size - file.tell()
        if dtype.kind not in "biuf" or dtype.fields is not None:
            raise ValueError(f"it holds {dtype} values; predict reads numbers")
        if min(shape, default=0) < 0 or math.prod(shape) * dtype.itemsize != data_size:
            raise ValueError(f"its header promises shape {shape} of {dtype}, but "
                             f"{data_size} bytes of data follow it")  # fmt: skip
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as error:
        raise UsageError(f"{path!r} is not a NumPy .npy array of numbers: {error}"[:400]) from None


def predict(args) -> int:
    from abinitio import Tensor, no_grad
    from abinitio.cli import graph as graph_cli  # issue 14
    from abinitio.cli import tabular
    from abinitio.cli import train as training

    if tabular.handles_run(args.run_dir):  # a CSV file, an image or a folder (issue 20)
        return tabular.predict_own_data(args)
    array = read_input_array(args.input)
    if graph_cli.handles_run(args.run_dir):  # node indices or edge flows (issue 14)
        return graph_cli.predict_run(args, array)
    config, data, model = training.load_trained_model(args.run_dir)
    batch = training.as_batch(np.asarray(array, dtype=np.float32), data.input_shape)
    with no_grad():
        probabilities = model(Tensor(batch)).softmax(-1).numpy()
    classes = probabilities.argmax(-1)
    print(f"{'index':>5}  {'class':<12} probability")
    for i, (label, p) in enumerate(zip(classes, probabilities)):
        print(f"{i:>5}  {str(data.classes[label]):<12} {p[label]:.3f}")
    if args.output:
        np.save(args.output, classes)
    return 0


def generate(args) -> int:
    from abinitio.cli import text

    return text.generate(args)


def export(args) -> int:  # issue 13
    from abinitio.cli import onnx_export

    return onnx_export.export_run(args)


def demo(args) -> int:
    from abinitio.demo import train_two_moons

    train_two_moons(steps=args.steps, seed=args.seed, print_every=max(args.steps // 10, 1))
    return 0


def info(args) -> int:
    import numpy

    import abinitio

    print(f"abinitio {abinitio.__version__}, NumPy {numpy.__version__}")
    return 0


def rl(args) -> int:
    from abinitio.cli import rl as reinforcement

    return reinforcement.run(args)


def cv(args) -> int:
    from abinitio.cli import cv as cross_validation

    return cross_validation.cv(args)


def tune(args) -> int:
    from abinitio.cli import tune as tuning

    return tuning.tune(args)


def active(args) -> int:
    from abinitio.cli import active as active_learning

    return active_learning.run(args)


def federated(args) -> int:  # issue 17
    from abinitio.cli import federated as federated_learning

    return federated_learning.run(args)
