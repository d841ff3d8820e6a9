"""``abinitio train --init-from RUN_DIR [--freeze PATTERN] [--lr-backbone LR]``.

The new run's model is built as usual, then every tensor of RUN_DIR's ``model.safetensors``
whose name and shape fit is copied into it (a head sized for other classes is left fresh),
the parameters matching ``--freeze`` stop training (batch norm included: see
:mod:`abinitio.nn.finetune`), and the pretrained, still trainable part gets
``--lr-backbone`` while the new part keeps ``--lr``.
"""

from __future__ import annotations

import math
import os

from abinitio.cli import registry
from abinitio.cli.options import UsageError


def init_from(config, model, log=print):
    """Load, freeze and group ``model`` as the options say; returns its optimiser."""
    from abinitio.nn.finetune import freeze, load_pretrained

    source = config.init_from
    if not source:
        given = "--freeze" if config.freeze else "--lr-backbone"
        raise UsageError(f"{given} needs --init-from RUN_DIR (the run whose weights to reuse)")
    if config.lr_backbone is not None and not (math.isfinite(config.lr_backbone)
                                               and config.lr_backbone > 0):  # fmt: skip
        raise UsageError(f"--lr-backbone must be a positive number, got {config.lr_backbone}")
    path = os.path.join(source, "model.safetensors")
    if not os.path.isdir(source):
        raise UsageError(f"--init-from {source!r}: no such run directory")
    if not os.path.exists(path):
        raise UsageError(f"--init-from {source!r} has no model.safetensors: the run has not "
                         "finished")  # fmt: skip
    from abinitio import load

    report = load_pretrained(model, load(path))
    if not report["loaded"]:
        raise UsageError(
            f"--init-from {source!r}: none of its tensors fits this {config.model} model "
            f"(it has {', '.join(report['unexpected_keys'][:4])}, ...): was it another model?"
        )
    new = [key for key, _, _ in report["mismatched"]] + report["missing_keys"]
    log(f"initialised from {source}: {len(report['loaded'])} tensors loaded"
        + (f"; new (trained from scratch): {', '.join(new)}" if new else ""))  # fmt: skip
    for key, theirs, ours in report["mismatched"]:
        log(f"  {key}: shape {theirs} in {source}, {ours} here")
    if config.freeze:
        try:
            frozen = freeze(model, config.freeze)
        except ValueError as error:
            message = str(error).removeprefix("freeze: ")
            raise UsageError(f"--freeze {config.freeze}: {message}") from None
        log(f"frozen: {len(frozen)} parameter tensors ({config.freeze})")
    loaded = set(report["loaded"])
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        raise UsageError(f"--freeze {config.freeze} freezes every parameter: nothing to train")
    backbone = [p for name, p in trainable if name in loaded]
    head = [p for name, p in trainable if name not in loaded]
    if config.lr_backbone is None or not backbone:
        groups = [{"params": [p for _, p in trainable], "lr": config.lr}]
    elif not head:
        groups = [{"params": backbone, "lr": config.lr_backbone}]
        log(f"learning rate {config.lr_backbone:g} for every layer (all were pretrained)")
    else:
        groups = [{"params": backbone, "lr": config.lr_backbone},
                  {"params": head, "lr": config.lr}]  # fmt: skip
        log(f"learning rates: {config.lr_backbone:g} for the pretrained layers, "
            f"{config.lr:g} for the new ones")  # fmt: skip
    return registry.OPTIMIZERS[config.optimizer](groups, config.lr, config.weight_decay)
