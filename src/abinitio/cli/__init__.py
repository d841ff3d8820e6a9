"""The ``abinitio`` command (also ``python -m abinitio``).

    abinitio train [--model cnn] [--dataset digits] [--epochs N] ...   train, leave a run dir
    abinitio evaluate RUN_DIR                                          test metrics of a run
    abinitio predict RUN_DIR INPUT.npy                                 classes for new inputs
    abinitio generate RUN_DIR [--prompt TEXT]                          text from a text model
    abinitio export RUN_DIR [--format onnx] [--output FILE]            the model as an ONNX file
    abinitio demo                                                      the bare engine on two moons
    abinitio info                                                      versions
    abinitio cv [--dataset digits] [--model mlp] [--folds 5]           k-fold cross-validation
    abinitio tune [--model mlp|cnn] [--trials 30] [--storage URL]      Optuna search, best retrained

Exit codes: 0 success, 2 bad input (nothing was done), 3 training diverged (the last good
checkpoint is kept), 130 interrupted by Ctrl-C (resume with ``--resume RUN_DIR``).
"""

from __future__ import annotations

import argparse
import sys

from abinitio.cli.options import UsageError

EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="abinitio", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train a model and write a run directory")
    train.add_argument("--model", help="cnn (default for images and signals), resnet, mlp "
                       "(default for 2-D points), ...")  # fmt: skip
    train.add_argument("--dataset", help="digits (default), mnist1d, moons, mnist:DIR, ...")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--optimizer", help="sgd, adam, adamw or rmsprop")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--dropout", type=float)
    train.add_argument("--seed", type=int)
    train.add_argument("--val-fraction", type=float, help="training share held out to validate")
    train.add_argument("--grad-clip", type=float, help="clip the gradient norm to this value")
    train.add_argument("--shuffle", action=argparse.BooleanOptionalAction,
                       help="reshuffle the training data every epoch")  # fmt: skip
    train.add_argument("--context", type=int, help="text: characters per window")
    train.add_argument("--layers", type=int, help="text: Transformer blocks; mlp: hidden layers")
    train.add_argument("--heads", type=int, help="text: attention heads per block")
    train.add_argument("--width", type=int, help="text: embedding size; mlp: neurons per "
                       "hidden layer; cnn: channels of the first convolution")  # fmt: skip
    train.add_argument("--steps-per-epoch", type=int, help="text: batches of windows per epoch")
    train.add_argument("--out", help="run directory (default runs/<dataset>-<model>-<time>)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    train.add_argument("--config", metavar="FILE.toml", help="options from a TOML file")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--distributed", action="store_true",
                       help="one rank of an MPI job: mpiexec -n N abinitio train --distributed")
    # ---- train options: graphs and topology (issue 14) ----
    train.add_argument("--hidden", type=int, help="graphs: hidden channels per layer")
    train.add_argument("--nodes", type=int, help="--dataset sbm: number of nodes")
    # ---- train options: spiking networks (issue 15) ----
    train.add_argument("--time-steps", type=int, help="snn/csnn: simulation steps (25)")
    train.add_argument("--encoding", help="snn/csnn: rate, latency or direct "
                       "(default: rate for snn on digits, direct otherwise)")
    train.add_argument("--beta", type=float, help="snn/csnn: membrane decay per step (0.9)")
    train.add_argument("--surrogate", help="snn/csnn: fast_sigmoid (default), atan, sigmoid, ...")
    # ---- train options: fine-tuning (issue 19) ----
    train.add_argument("--init-from", metavar="RUN_DIR",
                       help="start from a run's weights (new head if classes differ)")  # fmt: skip
    train.add_argument("--freeze", metavar="PATTERN",
                       help="with --init-from: parameters not to train, e.g. features")  # fmt: skip
    train.add_argument("--lr-backbone", type=float,
                       help="with --init-from: learning rate of the pretrained layers")  # fmt: skip
    # ---- train options: your own data (issue 20) ----
    train.add_argument("--target", help="csv: the column to predict")
    train.add_argument("--task", help="classification or regression (default: inferred)")
    for kind in ("categorical", "numeric", "embed", "drop"):
        train.add_argument(f"--{kind}", metavar="COL,...", help=f"columns to treat as {kind}")
    train.add_argument("--loss", help="regression loss: mse (default), l1 or huber")
    train.add_argument("--image-size", type=int, help="images: resize to N x N (default 32)")
    train.add_argument("--normalize", metavar="MEAN,STD", help="images: (x - mean) / std")
    train.add_argument("--augment", action="store_true", default=None,
                       help="images: random crop, flip and rotation")  # fmt: skip
    train.add_argument("--skip-bad-files", action="store_true", default=None,
                       help="images: skip unreadable files instead of stopping")  # fmt: skip
    evaluate = commands.add_parser("evaluate", help="test metrics of a finished run")
    evaluate.add_argument("run_dir")
    predict = commands.add_parser("predict", help="predict classes for inputs in a .npy file")
    predict.add_argument("run_dir")
    predict.add_argument("input", help="a .npy array: one sample or a batch")
    predict.add_argument("--output", help="also save the predicted classes to this .npy file")
    predict.add_argument("--handle-unknown", choices=("error", "bucket"),
                         help="csv: an unseen category is an error, or the 'unknown' bucket")
    generate = commands.add_parser("generate", help="write text with a trained text model")
    generate.add_argument("run_dir")
    generate.add_argument("--prompt", help="the text to continue (default: a newline)")
    generate.add_argument("--max-new-tokens", type=int, default=500, help="characters to add")
    generate.add_argument("--temperature", type=float, default=0.8, help="0: always the likeliest")
    generate.add_argument("--top-k", type=int, help="sample among the k likeliest only")
    generate.add_argument("--seed", type=int, default=0)
    demo = commands.add_parser("demo", help="the bare engine: a 2-layer network on two moons")
    demo.add_argument("--steps", type=int, default=1500)
    demo.add_argument("--seed", type=int, default=0)
    commands.add_parser("info", help="versions of abinitio and its libraries")
    # ---- subcommand: rl (issue 16) ----
    from abinitio.cli.rl import add_parser as add_rl_parser

    add_rl_parser(commands)
    # ---- subcommands: cv, tune (issue 18) ----
    from abinitio.cli import cv as cv_command, tune as tune_command  # noqa: I001

    cv_command.add_parser(commands)
    tune_command.add_parser(commands)
    # ---- subcommand: active (issue 19) ----
    from abinitio.cli.active import add_parser as add_active_parser

    add_active_parser(commands)
    # ---- subcommand: export (issue 13) ----
    from abinitio.cli.onnx_export import add_parser as add_export_parser

    add_export_parser(commands)
    # ---- subcommand: federated (issue 17) ----
    from abinitio.cli.federated import add_parser as add_federated_parser

    add_federated_parser(commands)
    return parser


def main(argv=None) -> int:
    from abinitio.cli import commands

    args = build_parser().parse_args(argv)
    handler = getattr(commands, args.command or "train")
    try:
        return handler(args)
    except UsageError as error:
        print(f"abinitio: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except commands.TRAINING_STOPPED as error:
        print(f"\nabinitio: {error}", file=sys.stderr)
        return EXIT_INTERRUPTED if "interrupted" in str(error) else EXIT_DIVERGED


if __name__ == "__main__":
    sys.exit(main())
