"""``SearchSpace``: which hyperparameters a study tries, and over what ranges.

Each entry is one of

* a range ``{low, high}`` (optionally ``log = true``, ``step``): an integer range when
  both bounds are integers, a float range otherwise; ``log`` samples ``log(value)``
  uniformly, right for scales such as the learning rate (1e-4 is as far from 1e-3 as
  1e-3 is from 1e-2);
* a list of ``choices`` (``{choices = ["adam", "sgd"]}``);
* a plain value, which fixes the hyperparameter (it is not searched).

A TOML file overrides the defaults entry by entry under ``[space]``::

    [space]
    lr = {low = 1e-4, high = 1e-2, log = true}
    optimizer = {choices = ["adam", "adamw"]}
    dropout = 0.1          # fixed
"""

from __future__ import annotations

import math
import numbers

# the default spaces of ``abinitio tune``: depth = hidden layers, width = neurons per layer
# for the MLP; for the CNN width is the first convolution's channels (the second has twice)
COMMON = {
    "lr": {"low": 1e-4, "high": 1e-1, "log": True},
    "batch_size": {"choices": [32, 64, 128]},
    "dropout": {"low": 0.0, "high": 0.5},
    "weight_decay": {"low": 1e-6, "high": 1e-2, "log": True},
    "optimizer": {"choices": ["adam", "adamw", "sgd", "rmsprop"]},
}
DEFAULT_SPACES = {
    "mlp": {
        **COMMON,
        "depth": {"low": 1, "high": 3},
        "width": {"low": 32, "high": 512, "log": True},
    },
    "cnn": {**COMMON, "width": {"low": 8, "high": 64, "log": True}},
}


class SearchSpace:
    """Named hyperparameter ranges, checked once, sampled by an Optuna trial.

    Args:
        entries: name -> range dict, ``{"choices": [...]}`` or a fixed value (see the
            module docstring).

    Raises:
        ValueError: a reversed or empty range, a log range that reaches 0, no choices,
            an unknown key; the message names the entry and what it holds.

    Example:
        >>> space = SearchSpace({"lr": {"low": 1e-3, "high": 1e-1, "log": True},
        ...                      "optimizer": {"choices": ["adam", "sgd"]}, "depth": 2})
        >>> space.searched, space.fixed
        (['lr', 'optimizer'], {'depth': 2})
        >>> SearchSpace({"lr": {"low": 0.1, "high": 0.01}})
        Traceback (most recent call last):
        ...
        ValueError: search space: lr has low 0.1 > high 0.01; swap the bounds

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """

    def __init__(self, entries: dict) -> None:
        self.entries = {name: _checked(name, spec) for name, spec in entries.items()}

    @classmethod
    def default(cls, model: str, overrides: dict | None = None) -> SearchSpace:
        """The default space of ``abinitio tune --model MODEL``, with ``overrides`` on top."""
        if model not in DEFAULT_SPACES:
            raise ValueError(
                f"search space: no default space for model {model!r}; "
                f"choose one of: {', '.join(DEFAULT_SPACES)}"
            )
        return cls({**DEFAULT_SPACES[model], **(overrides or {})})

    @property
    def searched(self) -> list[str]:
        return [name for name, spec in self.entries.items() if isinstance(spec, dict)]

    @property
    def fixed(self) -> dict:
        return {name: spec for name, spec in self.entries.items() if not isinstance(spec, dict)}

    def suggest(self, trial) -> dict:
        """One value per entry: ranges and choices drawn by ``trial``, fixed values as given."""
        values = {}
        for name, spec in self.entries.items():
            if not isinstance(spec, dict):
                values[name] = spec
            elif "choices" in spec:
                values[name] = trial.suggest_categorical(name, spec["choices"])
            elif _is_int(spec["low"]) and _is_int(spec["high"]):
                step = spec.get("step", 1)
                values[name] = trial.suggest_int(name, spec["low"], spec["high"], step=step,
                                                 log=spec.get("log", False))  # fmt: skip
            else:
                values[name] = trial.suggest_float(name, spec["low"], spec["high"],
                                                   step=spec.get("step"),
                                                   log=spec.get("log", False))  # fmt: skip
        return values

    def __repr__(self) -> str:
        return f"SearchSpace({self.entries!r})"


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _checked(name: str, spec):
    if not isinstance(spec, dict):
        return spec
    unknown = set(spec) - {"low", "high", "log", "step", "choices"}
    if unknown:
        raise ValueError(
            f"search space: {name} has unknown keys {sorted(unknown)}; "
            "use low/high (with log or step) or choices"
        )
    if "choices" in spec:
        if set(spec) != {"choices"} or not isinstance(spec["choices"], list) or not spec["choices"]:
            raise ValueError(
                f"search space: {name} needs a non-empty list of choices, got {spec!r}"
            )
        return dict(spec)
    if "low" not in spec or "high" not in spec:
        raise ValueError(f"search space: {name} needs both low and high, got {spec!r}")
    low, high = spec["low"], spec["high"]
    for bound in (low, high):
        ok = isinstance(bound, numbers.Real) and not isinstance(bound, bool)
        if not ok or not math.isfinite(bound):
            raise ValueError(f"search space: {name} bounds must be finite numbers, got {spec!r}")
    if low > high:
        raise ValueError(f"search space: {name} has low {low} > high {high}; swap the bounds")
    if spec.get("log") and low <= 0:
        raise ValueError(f"search space: {name} is on a log scale, so low must be > 0, got {low}")
    if spec.get("log") and spec.get("step") not in (None, 1):
        raise ValueError(f"search space: {name} cannot have both log and step, got {spec!r}")
    return dict(spec)
