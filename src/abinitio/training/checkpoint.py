"""Training checkpoints: everything needed to continue a run exactly where it stopped.

One safetensors file (written atomically by :func:`abinitio.save`) holds the model's and the
optimiser's arrays, and, in its JSON metadata, the epoch, the callbacks' state (scheduler,
early stopping), the random generator's state and the history so far. Restoring all of
them makes a resumed run bit-identical to one that was never interrupted.
"""

from __future__ import annotations

import os

from abinitio import random
from abinitio.serialization import load, save

CHECKPOINT_FORMAT = "abinitio-checkpoint/1"
CHECKPOINT_NAME = "checkpoint.safetensors"


class CheckpointMismatchError(RuntimeError):
    """A checkpoint that does not fit the model, optimiser or callbacks it is loaded into.

    See the article docs/articles/learning/training_loop.py.
    """


def checkpoint_path(directory: str | os.PathLike) -> str:
    return os.path.join(os.fspath(directory), CHECKPOINT_NAME)


def save_checkpoint(directory, *, epoch: int, model, optimizer, callbacks, history) -> str:
    """Write the full training state after ``epoch`` completed epochs; returns the path."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "callbacks": {type(cb).__name__: cb.state_dict() for cb in callbacks},
        "rng": random.get_rng_state(),
        "history": history.epochs,
    }
    path = checkpoint_path(directory)
    save(state, path)
    return path


def load_checkpoint(directory) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`, with clear errors."""
    path = checkpoint_path(directory)
    if not os.path.isdir(os.fspath(directory)):
        raise FileNotFoundError(f"resume: no run directory at {os.fspath(directory)!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"resume: {os.fspath(directory)!r} holds no {CHECKPOINT_NAME}: the run did not "
            "finish an epoch, or this is not a run directory"
        )
    state = load(path)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointMismatchError(f"resume: {path!r} is not an abinitio training checkpoint")
    problem = _malformed(state)
    if problem:
        raise CheckpointMismatchError(f"resume: {path!r} is a damaged checkpoint: {problem}")
    return state


def _malformed(state: dict) -> str | None:
    """What is wrong with the shape of a checkpoint's fields, or None (values are checked
    when :func:`restore` puts them into the model, the optimiser and the generator)."""
    epoch, history = state.get("epoch"), state.get("history")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return f"its epoch is {epoch!r:.40}, not a non-negative integer"
    if not (isinstance(history, list) and all(isinstance(record, dict) for record in history)):
        return f"its history is {history!r:.60}, not a list of per-epoch records"
    for key in ("model", "optimizer", "callbacks", "rng"):
        if not isinstance(state.get(key), dict):
            return f"its {key!r} entry is {state.get(key)!r:.60}, not a dict"
    return None


def _kind(value):
    """What an optimiser option is, for comparing a loaded one with the one it replaces."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return type(value)
    if isinstance(value, (int, float)):
        return float
    if isinstance(value, (tuple, list)):
        return tuple(_kind(item) for item in value)
    return type(value)


def _unfit_optimizer_state(optimizer, options: list) -> str | None:
    """What is wrong with the optimiser state just loaded, or None. Every group option must
    be of the kind it was (a number, a bool, a pair of numbers, ...); every per-parameter
    value a number or an array of its parameter's shape; and every parameter's state must
    have the same names (an optimiser creates them all on its first step)."""
    for before, group in zip(options, optimizer.param_groups):
        for key, value in before.items():
            if _kind(group.get(key)) != _kind(value):
                return f"option {key!r} is {group.get(key)!r:.60}, where {value!r:.60} was"
        try:
            optimizer._check_options(group)  # the optimiser's own ranges (betas in [0, 1))
        except ValueError as error:
            return str(error)
    names = None
    for p, entry in optimizer.state.items():
        for name, value in entry.items():
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (number or getattr(value, "shape", None) == p.shape):
                return f"{name!r} of a parameter of shape {p.shape} is {value!r:.60}"
            if name == "step" and not (isinstance(value, int) and 0 <= value):
                return f"a parameter's step count is {value!r:.60}"
        if names is None:
            names = set(entry)
        elif set(entry) != names:
            first, other = sorted(names, key=str), sorted(entry, key=str)
            return f"parameters have different state: {first} and {other}"
    return None


def restore(state: dict, *, model, optimizer, callbacks) -> None:
    """Load a checkpoint's state into the objects of a new run (and the generator)."""
    options = [{k: v for k, v in group.items() if k != "params"}
               for group in optimizer.param_groups]  # fmt: skip
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, TypeError, KeyError, IndexError) as error:
        raise CheckpointMismatchError(
            f"resume: the checkpoint does not fit this model/optimiser: {error}"
        ) from None
    problem = _unfit_optimizer_state(optimizer, options)
    if problem:
        raise CheckpointMismatchError(f"resume: the checkpoint's optimiser state is damaged: "
                                      f"{problem}")  # fmt: skip
    saved = state.get("callbacks", {})
    try:
        for callback in callbacks:
            name = type(callback).__name__
            if name in saved:
                callback.load_state_dict(saved[name])
        random.set_rng_state(state["rng"])
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise CheckpointMismatchError(
            f"resume: the checkpoint's callback or generator state is damaged: "
            f"{type(error).__name__}: {error}"
        ) from None
