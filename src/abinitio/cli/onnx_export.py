"""``abinitio export RUN_DIR --format onnx``: a trained run's model as an ONNX file.

The model is rebuilt from the run's config and weights, traced on a batch of its own test
inputs (a text model: on a window of ``context`` tokens) by :func:`abinitio.onnx.export`,
with the batch axis left free, and, when onnxruntime is installed, run there on the same
batch and compared with abinitio's output.
"""

from __future__ import annotations

import os

import numpy as np

from abinitio.cli.options import UsageError

FORMATS = ("onnx",)


def add_parser(commands) -> None:
    parser = commands.add_parser("export", help="write a trained run's model as an ONNX file")
    parser.add_argument("run_dir")
    parser.add_argument("--format", default="onnx", help="onnx (the only one)")
    parser.add_argument("--output", help="where to write it (default RUN_DIR/model.onnx)")


def export_run(args) -> int:
    from abinitio import Tensor
    from abinitio.cli import graph as graph_cli, tabular  # noqa: I001
    from abinitio.cli.train import config_of_run, load_trained_model
    from abinitio.onnx import UnsupportedOperatorError, export

    if args.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {args.format!r}")
    if not os.path.isdir(args.run_dir):
        raise UsageError(f"{args.run_dir!r} is not a run directory")
    if tabular.handles_run(args.run_dir) or graph_cli.handles_run(args.run_dir):
        raise UsageError(
            f"{args.run_dir!r} is a table, image-folder or graph run: export supports the "
            "models of --dataset digits, mnist1d, mnist:DIR, the toy sets and text"
        )
    config = config_of_run(args.run_dir)
    if config.dataset.partition(":")[0] == "text":
        from abinitio.cli.text import load_text_model

        _, tokenizer, model = load_text_model(args.run_dir)
        rng = np.random.default_rng(0)
        example = rng.integers(0, tokenizer.vocab_size, (2, config.context), dtype=np.int64)
        axes = {"tokens": {0: "batch"}, "logits": {0: "batch"}}
        names = (["tokens"], ["logits"])
    else:
        _, data, model = load_trained_model(args.run_dir)
        example = np.asarray(data.x_test[:2], dtype=np.float32)
        axes = {"input": {0: "batch"}, "logits": {0: "batch"}}
        names = (["input"], ["logits"])
    output = args.output or os.path.join(args.run_dir, "model.onnx")
    x = Tensor(example)
    try:
        proto = export(model, (x,), output, input_names=names[0], output_names=names[1],
                       dynamic_axes=axes)  # fmt: skip
    except (UnsupportedOperatorError, ValueError) as error:
        raise UsageError(f"cannot export {args.run_dir!r}: {error}") from None
    except ImportError as error:
        raise UsageError(str(error)) from None
    shape = ", ".join(["batch", *map(str, example.shape[1:])])
    nodes, opset = len(proto.graph.node), proto.opset_import[0].version
    print(f"wrote {output}: {config.model} ({nodes} ONNX nodes, opset {opset}), "
          f"input {names[0][0]} ({shape}) {example.dtype}")  # fmt: skip
    gap = _onnxruntime_gap(output, model, x, names[0][0])
    if gap is not None:
        print(f"onnxruntime's output matches abinitio's within {gap:.1e} on 2 inputs")
    return 0


def _onnxruntime_gap(path: str, model, x, input_name: str):
    """The largest |onnxruntime - abinitio| on ``x``; None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from abinitio import no_grad

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {input_name: x.array})
    with no_grad():
        expected = model(x).array
    return float(np.abs(result - expected).max())
