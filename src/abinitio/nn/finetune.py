"""Fine-tuning: start from a trained network, keep what transfers, retrain what does not.

A network trained on one task has early layers that compute generic features (edges and
strokes for images) and late layers specific to its classes. To reuse it:

1. load its weights, skipping the head whose shape no longer fits
   (:func:`load_pretrained`, built on ``load_state_dict(strict=False)``);
2. replace the head for the new classes (:func:`set_submodule`);
3. freeze what should not move (:func:`freeze`, by parameter-name pattern), or give it a
   smaller learning rate (:func:`param_groups`, discriminative learning rates), or unfreeze
   it a group at a time (``abinitio.training.finetune.GradualUnfreezing``).

The classic pitfall: freezing a batch-norm layer's weight and bias does not freeze the
layer. In training mode it still normalises with the statistics of each new batch and
keeps overwriting its running averages, so the frozen features drift away from the ones
the next layers were trained on. :func:`freeze` therefore swaps a fully frozen batch norm
for :class:`FrozenBatchNorm2d` (or 1d), which always normalises with the stored running
statistics, as the layer did in eval mode, whatever ``model.train()`` says.
"""

from __future__ import annotations

import fnmatch

import numpy as np

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module
from abinitio.nn.modules.normalization import BatchNorm2d, _BatchNorm
from abinitio.ops.arguments import array_of


def _patterns(patterns) -> list[str]:
    items = [patterns] if isinstance(patterns, str) else list(patterns)
    return [p for item in items for p in str(item).split(",") if p.strip()]


def matches(name: str, pattern: str) -> bool:
    """``name`` matches a glob ``pattern`` (``"features.*"``, ``"*.bias"``), or lies under
    it as a module path (``"features"`` matches ``"features.0.weight"``).

    Example:
        >>> matches("features.0.weight", "features"), matches("classifier.1.bias", "*.bias")
        (True, True)
        >>> matches("features10.weight", "features")
        False
    """
    pattern = pattern.strip()
    return fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + ".")


def matches_any(name: str, patterns) -> bool:
    """``name`` matches one of ``patterns`` (a list, or a comma-separated string)."""
    return any(matches(name, pattern) for pattern in _patterns(patterns))


def _matching(module: Module, patterns, caller: str) -> list[str]:
    names = [name for name, _ in module.named_parameters()]
    chosen = []
    for pattern in _patterns(patterns):
        hits = [name for name in names if matches(name, pattern)]
        if not hits:
            tops = sorted({name.split(".")[0] for name in names})
            raise ValueError(
                f"{caller}: pattern {pattern!r} matches no parameter of "
                f"{type(module).__name__}; its parameters are named like "
                f"{', '.join(names[:4])}{', ...' if len(names) > 4 else ''} (top-level: "
                f"{', '.join(tops)})"
            )
        chosen += [name for name in hits if name not in chosen]
    return chosen


class _FrozenBatchNorm(Module):
    """Batch norm with its statistics fixed: y = (x - running_mean) / sqrt(running_var +
    eps) * weight + bias, in training mode too. Backward still flows to the input (dy/dx =
    weight / sqrt(running_var + eps), a constant per channel), so layers below it can
    train. It shares the original layer's tensors, so ``state_dict`` keys are unchanged and
    :func:`unfreeze` gives the original layer back (torchvision's FrozenBatchNorm2d keeps
    weight and bias as buffers; here they stay the same, frozen Parameters, so an
    optimiser built before freezing still holds them)."""

    expected_dims: tuple = ()

    def __init__(self, batch_norm: _BatchNorm) -> None:
        super().__init__()
        if not batch_norm.track_running_stats:
            raise ValueError(
                f"cannot freeze {batch_norm!r}: it keeps no running statistics "
                "(track_running_stats=False)"
            )
        object.__setattr__(self, "original", batch_norm)
        self.num_features, self.eps = batch_norm.num_features, batch_norm.eps
        for name, param in batch_norm._parameters.items():
            if param is not None:
                param.requires_grad_(False)
            self.register_parameter(name, param)
        for name, buffer in batch_norm._buffers.items():
            self.register_buffer(name, buffer)

    def forward(self, input):
        if input.ndim not in self.expected_dims or input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected (N, "
                f"{self.num_features}, ...) input with {self.expected_dims} dims, got "
                f"{input.shape}"
            )
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight,
                            self.bias, False, 0.0, self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


class FrozenBatchNorm1d(_FrozenBatchNorm):
    """A frozen :class:`~abinitio.nn.BatchNorm1d`: it normalises with its running
    statistics in training mode too (see :func:`freeze`).

    Example:
        >>> import abinitio as ab
        >>> from abinitio import nn
        >>> frozen = FrozenBatchNorm1d(nn.BatchNorm1d(3)).train()
        >>> frozen(ab.ones(2, 3)).numpy().round(4)   # (1 - 0) / sqrt(1 + eps), not 0
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)

    See the article docs/articles/learning/fine_tuning.py.
    """

    expected_dims = (2, 3)


class FrozenBatchNorm2d(_FrozenBatchNorm):
    """A frozen :class:`~abinitio.nn.BatchNorm2d`: it normalises with its running
    statistics in training mode too (see :func:`freeze`).

    See the article docs/articles/learning/fine_tuning.py.
    """

    expected_dims = (4,)


def get_submodule(module: Module, target: str) -> Module:
    """The sub-module at dotted path ``target`` (``"classifier.4"``), like PyTorch's
    ``Module.get_submodule``; ``""`` is ``module`` itself."""
    current = module
    for part in target.split(".") if target else []:
        child = current._modules.get(part)
        if child is None:
            raise AttributeError(
                f"{type(current).__name__} has no sub-module {part!r} (looking for "
                f"{target!r}); its children: {', '.join(current._modules) or 'none'}"
            )
        current = child
    return current


def set_submodule(module: Module, target: str, new: Module) -> None:
    """Replace the sub-module at ``target`` by ``new``, keeping its place in the parent's
    order (a Sequential still runs its layers in order): e.g. a new head,
    ``set_submodule(model, "classifier.4", nn.Linear(128, 5))``."""
    if not isinstance(new, Module):
        raise TypeError(f"set_submodule: expected a Module, got {type(new).__name__}")
    parent_path, _, name = target.rpartition(".")
    parent = get_submodule(module, parent_path)
    if name not in parent._modules:
        raise AttributeError(
            f"{type(parent).__name__} has no sub-module {name!r}; its children: "
            f"{', '.join(parent._modules) or 'none'}"
        )
    parent._modules[name] = new


def _swap_batchnorms(module: Module, freeze_them: bool) -> None:
    for path, child in list(module.named_modules()):
        if freeze_them and isinstance(child, _BatchNorm) and child.track_running_stats:
            params = [p for p in child._parameters.values() if p is not None]
            if all(not p.requires_grad for p in params):
                frozen = FrozenBatchNorm2d if isinstance(child, BatchNorm2d) else FrozenBatchNorm1d
                set_submodule(module, path, frozen(child))
        if not freeze_them and isinstance(child, _FrozenBatchNorm):
            params = [p for p in child._parameters.values() if p is not None]
            if any(p.requires_grad for p in params):
                set_submodule(module, path, child.original)


def freeze(module: Module, patterns="*", train_bn: bool = False) -> list[str]:
    """Stop training the parameters whose names match ``patterns``.

    Sets ``requires_grad_(False)`` on them, so backward computes no gradient for them and
    optimisers skip them. Unless ``train_bn``, every batch-norm layer whose parameters are
    all frozen becomes a :class:`FrozenBatchNorm2d` / :class:`FrozenBatchNorm1d` (its
    statistics frozen too: the pitfall in this module's docstring).

    Args:
        module: the model.
        patterns: one glob pattern, a comma-separated string or a list of them, matched
            against ``named_parameters()`` names (see :func:`matches`).
        train_bn: leave batch-norm layers normalising with batch statistics.

    Returns:
        the names of the parameters frozen.

    Raises:
        ValueError: a pattern matches no parameter (the message lists the names).

    Example:
        >>> from abinitio import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
        >>> freeze(model, "0,1")
        ['0.weight', '0.bias', '1.weight', '1.bias']
        >>> type(model[1]).__name__, [n for n, p in model.named_parameters() if p.requires_grad]
        ('FrozenBatchNorm1d', ['2.weight', '2.bias'])

    See the article docs/articles/learning/fine_tuning.py.
    """
    names = _matching(module, patterns, "freeze")
    params = dict(module.named_parameters())
    for name in names:
        params[name].requires_grad_(False)
    if not train_bn:
        _swap_batchnorms(module, freeze_them=True)
    return names


def unfreeze(module: Module, patterns="*") -> list[str]:
    """Train the parameters matching ``patterns`` again (the inverse of :func:`freeze`);
    a frozen batch norm whose parameters train again becomes its original layer."""
    names = _matching(module, patterns, "unfreeze")
    params = dict(module.named_parameters())
    for name in names:
        params[name].requires_grad_(True)
    _swap_batchnorms(module, freeze_them=False)
    return names


def param_groups(module: Module, lrs, lr: float | None = None) -> list[dict]:
    """Parameter groups with discriminative learning rates (Howard & Ruder 2018): a
    smaller step for early, general layers than for the new head.

    Args:
        module: the model.
        lrs: ``{pattern: lr}`` (or a list of pairs); each trainable parameter joins the
            first pattern it matches.
        lr: the learning rate of the remaining trainable parameters (None: they join no
            group, so they are not trained).

    Returns:
        a list of ``{"params": [...], "lr": ...}`` for any optimiser; frozen parameters
        (``requires_grad`` False) are left out.

    Example:
        >>> from abinitio import nn, optim
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        >>> groups = param_groups(model, {"0": 1e-4}, lr=1e-2)
        >>> [(len(g["params"]), g["lr"]) for g in groups]
        [(2, 0.0001), (2, 0.01)]
        >>> optimizer = optim.Adam(groups)

    See the article docs/articles/learning/fine_tuning.py.
    """
    pairs = list(lrs.items()) if isinstance(lrs, dict) else list(lrs)
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    groups, taken = [], set()
    for pattern, rate in pairs:
        _matching(module, pattern, "param_groups")
        hits = [(name, p) for name, p in trainable if matches_any(name, pattern)]
        members = [p for name, p in hits if name not in taken]
        taken |= {name for name, _ in hits}
        if members:
            groups.append({"params": members, "lr": rate})
    rest = [p for name, p in trainable if name not in taken]
    if rest and lr is not None:
        groups.append({"params": rest, "lr": lr})
    return groups


def load_pretrained(module: Module, state_dict: dict) -> dict:
    """Load every tensor of ``state_dict`` whose name and shape match, and say what did not.

    ``load_state_dict(strict=False)`` tolerates missing and unexpected keys but, as in
    PyTorch, refuses a shape mismatch; a new head for a different number of classes is
    exactly that, so those keys are left out first (the model keeps its fresh values).

    Returns:
        a dict: ``loaded`` (the keys copied), ``mismatched`` (``(key, checkpoint shape,
        model shape)`` triples), ``missing_keys`` and ``unexpected_keys``; the model's
        parameters that were not loaded (mismatched or missing) are its new, untrained
        part.

    See the article docs/articles/learning/fine_tuning.py.
    """
    own = module.state_dict()
    mismatched = []
    usable = {}
    for key, value in state_dict.items():
        shape = tuple(np.shape(array_of(value)))
        if key in own and shape != tuple(own[key].shape):
            mismatched.append((key, shape, tuple(own[key].shape)))
        else:
            usable[key] = value
    result = module.load_state_dict(usable, strict=False)
    skipped = {key for key, _, _ in mismatched}
    missing = [key for key in result.missing_keys if key not in skipped]
    loaded = [key for key in own if key in usable]
    return {"loaded": loaded, "mismatched": mismatched, "missing_keys": missing,
            "unexpected_keys": list(result.unexpected_keys)}  # fmt: skip
