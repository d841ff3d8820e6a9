"""Losses and readouts for spiking outputs, in snnTorch's ``snntorch.functional`` shape:
each loss factory returns a callable ``loss_fn(record, targets)``, where ``record`` is the
output layer's spikes (or membranes) over time, (T, N, C), and ``targets`` the classes (N,).

    ce_rate_loss()          (1/T) sum_t CE(S[t], y)          every step's spikes as logits
    ce_count_loss()         CE(sum_t S[t], y)                the spike count as logits
    mse_count_loss(p, q)    mean_(n,c) (count - T r)^2 / T^2, r = p for the class, q else
    mse_membrane_loss(a, b) mean_(t,n,c) (U[t] - u*)^2,       u* = a for the class, b else
    ce_temporal_loss()      CE(-t_first, y)                  the earliest spike wins
    mse_temporal_loss(a, b) mean_(n,c) (t_first - t*)^2 / T^2, t* = a for the class, b*T else

The first spike time is made differentiable from the spikes themselves:
f[t] = S[t] prod_(t' < t) (1 - S[t']) is 1 at the first spike only, and
t_first = sum_t t f[t] + T (1 - sum_t f[t]) (T when a neuron never fires), so its
gradient reaches the membranes through each spike's surrogate.
"""

from __future__ import annotations

import numpy as np

from abinitio.nn.functional import cross_entropy, one_hot
from abinitio.ops.shape import stack
from abinitio.tensor import Tensor


def _check(record: Tensor, targets, where: str) -> None:
    if record.ndim != 3:
        raise ValueError(f"{where}: expected a record (T, N, C), got shape {record.shape}")
    n = len(targets)
    if record.shape[1] != n:
        raise ValueError(f"{where}: {record.shape[1]} samples in the record (T, N, C) = "
                         f"{record.shape}, but {n} targets")  # fmt: skip


def _targets(targets) -> Tensor:
    return targets if isinstance(targets, Tensor) else Tensor(np.asarray(targets, np.int64))


class _Loss:
    name = "loss"

    def __repr__(self) -> str:
        return f"{self.name}()"


class ce_rate_loss(_Loss):  # noqa: N801 (snnTorch's name)
    """(1/T) sum_t CE(S[t], y): cross-entropy of every step's output spikes.

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "ce_rate_loss"

    def __call__(self, spk_rec: Tensor, targets) -> Tensor:
        _check(spk_rec, targets, self.name)
        steps, batch, classes = spk_rec.shape
        y = _targets(targets)
        repeated = Tensor(np.tile(y.numpy(), steps))
        return cross_entropy(spk_rec.reshape(steps * batch, classes), repeated)


class ce_count_loss(_Loss):  # noqa: N801
    """CE(sum_t S[t], y): cross-entropy of the spike counts.

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "ce_count_loss"

    def __call__(self, spk_rec: Tensor, targets) -> Tensor:
        _check(spk_rec, targets, self.name)
        return cross_entropy(spk_rec.sum(0), _targets(targets))


class mse_count_loss(_Loss):  # noqa: N801
    """mean over samples and classes of ((count - T r) / T)^2, where r = ``correct_rate``
    for the target class and ``incorrect_rate`` for the others.

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "mse_count_loss"

    def __init__(self, correct_rate: float = 1.0, incorrect_rate: float = 0.0) -> None:
        for label, value in (("correct_rate", correct_rate), ("incorrect_rate", incorrect_rate)):
            if not 0 <= value <= 1:
                raise ValueError(f"mse_count_loss: {label} must be in [0, 1], got {value}")
        self.correct_rate, self.incorrect_rate = correct_rate, incorrect_rate

    def __call__(self, spk_rec: Tensor, targets) -> Tensor:
        _check(spk_rec, targets, self.name)
        steps, _, classes = spk_rec.shape
        hot = one_hot(_targets(targets), classes).numpy()
        rate = np.where(hot == 1, self.correct_rate, self.incorrect_rate).astype(np.float32)
        return ((spk_rec.sum(0) / steps - Tensor(rate)) ** 2).mean()


class mse_membrane_loss(_Loss):  # noqa: N801
    """mean over steps, samples and classes of (U[t] - u*)^2, u* = ``on_target`` for the
    target class and ``off_target`` for the others.

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "mse_membrane_loss"

    def __init__(self, on_target: float = 1.0, off_target: float = 0.0) -> None:
        self.on_target, self.off_target = on_target, off_target

    def __call__(self, mem_rec: Tensor, targets) -> Tensor:
        _check(mem_rec, targets, self.name)
        hot = one_hot(_targets(targets), mem_rec.shape[2]).numpy()
        goal = np.where(hot == 1, self.on_target, self.off_target).astype(np.float32)
        return ((mem_rec - Tensor(goal)) ** 2).mean()


def first_spike_time(spk_rec: Tensor) -> Tensor:
    """t_first = sum_t t f[t] + T (1 - sum_t f[t]), f[t] = S[t] prod_(t'<t) (1 - S[t']):
    each neuron's first spike step (0-based; T if it never fires), differentiable through
    the spikes. Shape: (T, N, C) -> (N, C).

    Example:
        >>> import abinitio as ab
        >>> s = ab.tensor([[[0.0, 0.0]], [[1.0, 0.0]], [[1.0, 0.0]]])
        >>> first_spike_time(s).tolist()
        [[1.0, 3.0]]
    """
    if spk_rec.ndim < 2:
        raise ValueError(f"first_spike_time: expected (T, N, ...), got shape {spk_rec.shape}")
    steps = spk_rec.shape[0]
    silent = 1 - spk_rec[0] * 0  # prod over no steps: ones, in the graph's dtype
    firsts = []
    for t in range(steps):
        firsts.append(spk_rec[t] * silent)
        silent = silent * (1 - spk_rec[t])
    f = stack(firsts)
    shape = (steps,) + (1,) * (spk_rec.ndim - 1)
    times = Tensor(np.arange(steps, dtype=np.float32).reshape(shape))
    return (f * times).sum(0) + silent * steps


class ce_temporal_loss(_Loss):  # noqa: N801
    """CE(-t_first, y): the target class should fire first.

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "ce_temporal_loss"

    def __call__(self, spk_rec: Tensor, targets) -> Tensor:
        _check(spk_rec, targets, self.name)
        return cross_entropy(-first_spike_time(spk_rec), _targets(targets))


class mse_temporal_loss(_Loss):  # noqa: N801
    """mean of ((t_first - t*) / T)^2 with t* = ``on_target`` steps for the target class
    and ``off_target`` * T for the others (by default: fire at once, or never).

    See the article docs/articles/spiking/training_through_time.py.
    """

    name = "mse_temporal_loss"

    def __init__(self, on_target: float = 0.0, off_target: float = 1.0) -> None:
        self.on_target, self.off_target = on_target, off_target

    def __call__(self, spk_rec: Tensor, targets) -> Tensor:
        _check(spk_rec, targets, self.name)
        steps, _, classes = spk_rec.shape
        hot = one_hot(_targets(targets), classes).numpy()
        goal = np.where(hot == 1, self.on_target, self.off_target * steps).astype(np.float32)
        return (((first_spike_time(spk_rec) - Tensor(goal)) / steps) ** 2).mean()


def accuracy_rate(spk_rec: Tensor, targets) -> float:
    """The share of samples whose output neuron with the most spikes is the target.

    Example:
        >>> import abinitio as ab
        >>> s = ab.tensor([[[1.0, 0.0]], [[1.0, 1.0]]])
        >>> accuracy_rate(s, [0])
        1.0
    """
    _check(spk_rec, targets, "accuracy_rate")
    counts = spk_rec.detach().numpy().sum(0)
    return float((counts.argmax(-1) == _targets(targets).numpy()).mean())


def accuracy_temporal(spk_rec: Tensor, targets) -> float:
    """The share of samples whose first output neuron to fire is the target (ties: the
    lowest index)."""
    _check(spk_rec, targets, "accuracy_temporal")
    times = first_spike_time(spk_rec.detach()).numpy()
    return float((times.argmin(-1) == _targets(targets).numpy()).mean())
