"""Gradual unfreezing (ULMFiT, Howard & Ruder 2018), as a Trainer callback.

Fine-tuning every layer at once from the first step lets the large, noisy gradients of a
fresh head wreck the pretrained features below it ("catastrophic forgetting"). Gradual
unfreezing trains the head alone first, then unfreezes one more layer group per stage,
from the top down, so each group starts moving only once the layers above it make sense.
"""

from __future__ import annotations

from abinitio.nn.finetune import _matching, freeze, unfreeze
from abinitio.training.callbacks import Callback


class GradualUnfreezing(Callback):
    """Unfreeze ``groups`` one at a time, top (head) first, every ``every`` epochs.

    At the start of fit, every group but the first is frozen (batch norm included, see
    :func:`abinitio.nn.finetune.freeze`); epoch ``e`` trains groups ``0 .. (e - 1) //
    every``. Build the optimiser over all parameters before fitting: frozen ones have no
    gradient and are skipped, and the same Parameter objects train once unfrozen. The
    stage depends only on the epoch number, so a resumed run unfreezes the same groups.

    Args:
        groups: parameter-name patterns (see :func:`abinitio.nn.finetune.matches`), from
            the head down, e.g. ``["classifier", "features.4", "features.0"]``.
        every: epochs per stage.

    Example:
        >>> import abinitio as ab
        >>> from abinitio import nn, optim
        >>> from abinitio.data import DataLoader, TensorDataset
        >>> from abinitio.training import Trainer
        >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> callback = GradualUnfreezing(["2", "0"])
        >>> trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
        ...                   nn.CrossEntropyLoss(), callbacks=[callback], progress=False, log=None)
        >>> data = DataLoader(TensorDataset(ab.randn(8, 2), ab.randint(0, 2, (8,))), batch_size=4)
        >>> _ = trainer.fit(data, epochs=2)
        >>> callback.trainable
        [['2.weight', '2.bias'], ['0.weight', '0.bias', '2.weight', '2.bias']]

    See the article docs/articles/learning/fine_tuning.py.
    """

    def __init__(self, groups, every: int = 1) -> None:
        groups = [groups] if isinstance(groups, str) else list(groups)
        if len(groups) < 2:
            raise ValueError(f"GradualUnfreezing: give at least 2 groups, got {groups!r}")
        if every < 1:
            raise ValueError(f"GradualUnfreezing: every must be >= 1, got {every}")
        self.groups, self.every = groups, every
        self.trainable = []  # per epoch: the names that trained

    def on_fit_start(self, trainer) -> None:
        for group in self.groups:
            _matching(trainer.model, group, "GradualUnfreezing")
        freeze(trainer.model, self.groups[1:])
        unfreeze(trainer.model, self.groups[0])

    def on_epoch_start(self, trainer, epoch: int) -> None:
        stage = min((epoch - 1) // self.every, len(self.groups) - 1)
        unfreeze(trainer.model, self.groups[: stage + 1])
        names = [name for name, p in trainer.model.named_parameters() if p.requires_grad]
        self.trainable.append(names)
