"""The options of ``abinitio train``: defaults, a TOML config file, the command line.

Precedence, lowest first: built-in defaults, the recipe for the chosen data set and model
(see :mod:`abinitio.cli.registry`), the ``--config`` file, then the command line. Every
option can be set in the file under the same name (``batch_size`` or ``batch-size``).
"""

from __future__ import annotations

import dataclasses
import math
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class UsageError(ValueError):
    """Bad input on the command line or in a config file: exit code 2, nothing done."""


@dataclasses.dataclass
class TrainConfig:
    """Every option of a training run. ``None`` means: take the recipe's value."""

    model: str | None = None  # the data set's default: a CNN for images and signals
    dataset: str = "digits"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    weight_decay: float | None = None
    dropout: float | None = None
    seed: int = 0
    val_fraction: float | None = None
    grad_clip: float | None = None
    shuffle: bool | None = None  # reshuffle the training set every epoch
    # sequence models (--dataset text): window length, blocks, heads, width, batches per epoch
    context: int | None = None
    layers: int | None = None
    heads: int | None = None
    width: int | None = None
    steps_per_epoch: int | None = None
    out: str | None = None
    # ---- graphs and topology (issue 14) ----
    hidden: int | None = None  # graphs: hidden channels per layer
    nodes: int | None = None  # --dataset sbm: number of nodes
    # ---- spiking networks (issue 15) ----
    time_steps: int | None = None  # snn/csnn: simulation steps per sample
    encoding: str | None = None  # snn/csnn: rate or latency
    beta: float | None = None  # snn/csnn: membrane decay per step, in [0, 1]
    surrogate: str | None = None  # snn/csnn: the spike's surrogate gradient
    # ---- fine-tuning (issue 19) ----
    init_from: str | None = None  # a run directory whose weights start this run
    freeze: str | None = None  # parameter-name patterns not to train (with init_from)
    lr_backbone: float | None = None  # learning rate of the pretrained part (with init_from)
    # ---- your own data: tables, regression, image folders (issue 20) ----
    target: str | None = None  # csv: the column to predict
    task: str | None = None  # classification or regression (inferred when None)
    categorical: str | None = None  # comma-separated column names, overriding the inference
    numeric: str | None = None
    embed: str | None = None  # categorical columns that get a learned embedding
    drop: str | None = None  # columns left out
    loss: str | None = None  # regression: mse, l1 or huber
    image_size: int | None = None  # images: resized to image_size x image_size
    normalize: str | None = None  # images: "MEAN,STD" (per channel: "m1,m2,m3,s1,s2,s3")
    augment: bool | None = None  # images: random crop, flip and small rotation
    skip_bad_files: bool | None = None  # images: skip unreadable files (counted in the report)

    def merged(self, values: dict) -> TrainConfig:
        """A copy with ``values`` (from a file or the command line) applied on top."""
        known = {field.name: field.type for field in dataclasses.fields(self)}
        updates = {}
        for raw_key, value in values.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise UsageError(
                    f"unknown option {raw_key!r}; valid options: {', '.join(sorted(known))}"
                )
            if value is not None:
                _check_type(raw_key, value, known[key])
                updates[key] = value
        return dataclasses.replace(self, **updates)

    def with_recipe(self, recipe: dict) -> TrainConfig:
        """Fill the options still unset (``None``) from the recipe."""
        missing = {k: v for k, v in recipe.items() if getattr(self, k) is None}
        return dataclasses.replace(self, **missing)

    def validate(self, optimizers) -> None:
        """Refuse impossible values before any work is done."""
        checks = [
            (self.epochs is None or self.epochs >= 0, "epochs", "a non-negative integer"),
            (self.batch_size is None or self.batch_size > 0, "batch_size", "a positive integer"),
            (
                self.lr is None or (math.isfinite(self.lr) and self.lr > 0),
                "lr",
                "a positive number",
            ),
            (self.weight_decay is None or self.weight_decay >= 0, "weight_decay", ">= 0"),
            (self.dropout is None or 0 <= self.dropout < 1, "dropout", "in [0, 1)"),
            (self.val_fraction is None or 0 <= self.val_fraction < 1, "val_fraction", "in [0, 1)"),
            (self.grad_clip is None or self.grad_clip > 0, "grad_clip", "a positive number"),
            (self.seed >= 0, "seed", "a non-negative integer"),
        ]
        sizes = ("context", "layers", "heads", "width", "steps_per_epoch")
        checks += [(getattr(self, k) is None or getattr(self, k) > 0, k, "a positive integer")
                   for k in sizes]  # fmt: skip
        for ok, name, expected in checks:
            if not ok:
                raise UsageError(
                    f"--{name.replace('_', '-')} must be {expected}, got {getattr(self, name)!r}"
                )
        if self.optimizer is not None and self.optimizer not in optimizers:
            raise UsageError(
                f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(optimizers)}"
            )

    def as_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def _check_type(key: str, value, annotation: str) -> None:
    """An option's value has its field's type (``"int | None"``): a file's ``epochs = "3"``
    or ``shuffle = 1`` is refused here, not deep inside training. A float option takes an
    int too; annotations other than int, float, bool and str are not checked."""
    kinds = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}
    names = [name.strip() for name in str(annotation).split("|") if name.strip() != "None"]
    if not all(name in kinds for name in names):
        return
    allowed = tuple(kind for name in names for kind in kinds[name])
    wrong = not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)
    if not wrong and "float" in names and isinstance(value, int) and abs(value) > 2**1023:
        wrong = True  # an integer past the largest float
    if wrong:
        raise UsageError(
            f"option {key!r} must be {' or '.join(names)}, "
            f"got {type(value).__name__} {value!r:.60}"
        )


def read_toml(path: str) -> dict:
    """A config file's options as a flat dict, with errors that name the file."""
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except FileNotFoundError:
        raise UsageError(f"config file {path!r} does not exist") from None
    except OSError as error:  # a directory, no permission
        raise UsageError(f"config file {path!r} cannot be read: {error.strerror}") from None
    except ValueError as error:  # TOMLDecodeError, not UTF-8, an integer of 5,000 digits
        raise UsageError(f"config file {path!r} is not valid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise UsageError(f"config file {path!r} is not valid TOML: nested too deeply") from None
    nested = [key for key, value in values.items() if isinstance(value, dict)]
    if nested:
        raise UsageError(f"config file {path!r}: tables are not supported ({', '.join(nested)})")
    return values


def to_toml(values: dict) -> str:
    """Flat key = value TOML for strings, numbers and booleans (what configs hold)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        else:
            raise TypeError(f"to_toml: cannot write {key} = {value!r}")
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"
