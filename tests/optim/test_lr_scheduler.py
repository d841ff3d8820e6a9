"""Learning-rate schedulers: 100 steps against torch.optim.lr_scheduler, state_dict, errors."""

import json

import numpy as np
import pytest

import abinitio as ab
from abinitio import optim
from abinitio.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[30, 10, 80, 30], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=100)),
    ("CosineAnnealingLR", dict(T_max=30, eta_min=0.001)),  # passes the bottom twice
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=20)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=10, pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, three_phase=True, pct_start=0.2)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, three_phase=True, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, base_momentum=0.7, max_momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, cycle_momentum=False, div_factor=10)),
]

OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9),
    "Adam": dict(lr=0.1),
}


@pytest.fixture
def torch(torch):
    """The session's torch on one thread: these problems are tiny, and the 2 CPU cores are
    shared, where a thread pool only waits. The setting is restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def optimizer_pair(torch, name, options):
    """The same optimiser, with two parameter groups, in both frameworks."""
    ours = [ab.nn.Parameter(ab.zeros(2)), ab.nn.Parameter(ab.zeros(3))]
    theirs = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    make = [getattr(optim, name), getattr(torch.optim, name)]
    return [
        cls([{"params": p[:1]}, {"params": p[1:], "lr": 0.01}], **options)
        for cls, p in zip(make, [ours, theirs])
    ]


def momenta(optimizer) -> list:
    if "betas" in optimizer.defaults:
        return [group["betas"][0] for group in optimizer.param_groups]
    return [group["momentum"] for group in optimizer.param_groups]


def history(optimizer, scheduler, steps, metrics=None) -> list:
    """The lrs, the lrs the optimiser holds and its momenta, before each of ``steps`` steps."""
    rows = []
    for i in range(steps):
        lrs = [group["lr"] for group in optimizer.param_groups]
        rows.append(scheduler.get_last_lr() + lrs + momenta(optimizer))
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
    return rows


@pytest.mark.torch
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("name, options", SCHEDULES, ids=lambda c: str(c))
def test_100_steps_match_torch(torch, name, options, optimizer_name):
    ours, theirs = optimizer_pair(torch, optimizer_name, OPTIMIZERS[optimizer_name])
    expected = history(theirs, getattr(torch.optim.lr_scheduler, name)(theirs, **options), 100)
    got = history(ours, getattr(lr_scheduler, name)(ours, **options), 100)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-15)


RESUMED = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=30, eta_min=0.001)),
    ("LinearLR", dict(total_iters=20)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, options", RESUMED, ids=lambda c: str(c))
def test_resuming_from_last_epoch_matches_torch(torch, name, options):
    ours, theirs = optimizer_pair(torch, "SGD", OPTIMIZERS["SGD"])
    for optimizer in (ours, theirs):
        for group in optimizer.param_groups:
            group["initial_lr"] = 2 * group["lr"]
    scheduler = getattr(torch.optim.lr_scheduler, name)(theirs, last_epoch=10, **options)
    expected = history(theirs, scheduler, 50)
    got = history(ours, getattr(lr_scheduler, name)(ours, last_epoch=10, **options), 50)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-15)


METRICS = np.concatenate(
    [
        np.linspace(2.0, 1.0, 20),  # improving
        np.full(15, 1.0),  # a plateau
        1.0 + 0.01 * np.sin(np.arange(30)),  # noise around it
        np.linspace(1.0, 0.5, 10),  # improving again
        np.full(25, 0.5),
    ]
).tolist()

PLATEAU_OPTIONS = [
    dict(),
    dict(patience=3, factor=0.5),
    dict(patience=2, factor=0.5, cooldown=4, min_lr=[0.02, 0.001]),
    dict(patience=2, threshold=0.05, threshold_mode="abs", min_lr=0.005),
    dict(mode="max", patience=3, factor=0.3),
    dict(mode="max", patience=1, threshold=0.02, threshold_mode="abs", cooldown=2),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=str)
def test_reduce_lr_on_plateau_matches_torch(torch, options):
    ours, theirs = optimizer_pair(torch, "SGD", dict(lr=0.1))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
    expected = history(theirs, scheduler, 100, METRICS)
    metrics = [ab.tensor(value) for value in METRICS]  # one-element tensors work too
    got = history(ours, lr_scheduler.ReduceLROnPlateau(ours, **options), 100, metrics)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-15)
    assert len(set(row[0] for row in got)) > 1  # the case did decay


def make_scheduler(name, options, optimizer_name="Adam"):
    params = [ab.nn.Parameter(ab.zeros(2)), ab.nn.Parameter(ab.zeros(3))]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.01}]
    optimizer = getattr(optim, optimizer_name)(groups, **OPTIMIZERS[optimizer_name])
    if name == "ReduceLROnPlateau":
        return optimizer, lr_scheduler.ReduceLROnPlateau(optimizer, **options)
    return optimizer, getattr(lr_scheduler, name)(optimizer, **options)


ROUND_TRIPS = SCHEDULES + [("ReduceLROnPlateau", dict(patience=2, factor=0.5, cooldown=3))]


@pytest.mark.parametrize("name, options", ROUND_TRIPS, ids=lambda c: str(c))
def test_state_dict_round_trip_through_json(name, options):
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    optimizer, scheduler = make_scheduler(name, options)
    expected = history(optimizer, scheduler, 100, metrics)

    optimizer, scheduler = make_scheduler(name, options)
    got = history(optimizer, scheduler, 40, metrics)
    saved_optimizer = optimizer.state_dict()
    saved = json.loads(json.dumps(scheduler.state_dict()))  # plain Python values only
    assert "optimizer" not in saved
    optimizer, scheduler = make_scheduler(name, options)  # build the scheduler, then load
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved)
    got += history(optimizer, scheduler, 60, None if metrics is None else metrics[40:])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_linear_warm_up_then_cosine_by_hand():
    optimizer, scheduler = make_scheduler("LinearLR", dict(start_factor=0.5, total_iters=2))
    rows = history(optimizer, scheduler, 4)
    np.testing.assert_allclose(
        [row[:2] for row in rows], [[0.05, 0.005], [0.075, 0.0075]] + [[0.1, 0.01]] * 2
    )
    optimizer, scheduler = make_scheduler("CosineAnnealingLR", dict(T_max=2, eta_min=0.0))
    rows = history(optimizer, scheduler, 5)
    np.testing.assert_allclose([row[0] for row in rows], [0.1, 0.05, 0.0, 0.05, 0.1], atol=1e-15)


def test_one_cycle_adam_cycles_beta1_and_keeps_beta2():
    optimizer, scheduler = make_scheduler("OneCycleLR", dict(max_lr=1.0, total_steps=10))
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.999)
    for _ in range(2):  # to the end of the warm-up (pct_start * total_steps - 1)
        scheduler.step()
    beta1, beta2 = optimizer.param_groups[0]["betas"]
    assert beta1 == pytest.approx(0.85) and beta2 == 0.999
    assert scheduler.get_last_lr()[0] == pytest.approx(1.0)
    for _ in range(8):
        scheduler.step()
    with pytest.raises(ValueError, match="stepped 11 times, more than total_steps=10"):
        scheduler.step()


def test_resuming_with_last_epoch_needs_initial_lr():
    optimizer = optim.SGD([ab.nn.Parameter(ab.zeros(2))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optimizer, step_size=3, last_epoch=5)
    optimizer.param_groups[0]["initial_lr"] = 1.0
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5, last_epoch=5)
    assert scheduler.last_epoch == 6 and scheduler.get_last_lr() == [0.1]


def adam():
    return optim.Adam([ab.nn.Parameter(ab.zeros(2))], lr=0.1)


CONSTRUCTION_ERRORS = [
    ("StepLR", dict(step_size=0), "step_size must be a positive int, received step_size=0"),
    ("StepLR", dict(step_size=2.5), "received step_size=2.5"),
    ("StepLR", dict(step_size=2, gamma=-0.1), "gamma must be a positive number"),
    ("MultiStepLR", dict(milestones=[3, -1]), "milestones must be non-negative ints"),
    ("MultiStepLR", dict(milestones=[3], gamma=0), "received gamma=0"),
    ("ExponentialLR", dict(gamma=float("nan")), "received gamma=nan"),
    ("CosineAnnealingLR", dict(T_max=0), "T_max must be a positive int"),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=-1), "eta_min must be"),
    ("LinearLR", dict(start_factor=0), "start_factor must be in (0, 1], received start_f"),
    ("LinearLR", dict(end_factor=1.5), "end_factor must be in [0, 1]"),
    ("LinearLR", dict(total_iters=0), "received total_iters=0"),
    ("OneCycleLR", dict(max_lr=1.0), "give total_steps, or both epochs and steps_per_epoch"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=-3), "received total_steps=-3"),
    ("OneCycleLR", dict(max_lr=1.0, epochs=2, steps_per_epoch=0), "steps_per_epoch must be"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=9, pct_start=1.5), "received pct_start=1.5"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=9, anneal_strategy="cosine"), "'cosine'"),
    ("OneCycleLR", dict(max_lr=[1.0, 2.0], total_steps=9), "max_lr must be one value per"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=9, div_factor=0), "received div_factor=0"),
    ("ReduceLROnPlateau", dict(mode="lowest"), "mode must be 'min' or 'max'"),
    ("ReduceLROnPlateau", dict(factor=1.0), "factor must be in [0, 1), received factor=1.0"),
    ("ReduceLROnPlateau", dict(patience=-1), "received patience=-1"),
    ("ReduceLROnPlateau", dict(threshold_mode="relative"), "threshold_mode must be"),
    ("ReduceLROnPlateau", dict(cooldown=1.5), "received cooldown=1.5"),
    ("ReduceLROnPlateau", dict(min_lr=[0.1, 0.2]), "min_lr must be 1 values"),
    ("ReduceLROnPlateau", dict(min_lr=-0.1), "min_lr must be non-negative"),
]


@pytest.mark.parametrize("name, options, message", CONSTRUCTION_ERRORS)
def test_bad_options_raise_naming_the_value(name, options, message):
    with pytest.raises(ValueError) as error:
        getattr(lr_scheduler, name)(adam(), **options)
    assert message in str(error.value)


def test_a_scheduler_needs_an_optimizer_with_the_options_it_sets():
    with pytest.raises(TypeError, match="needs an Optimizer, received list"):
        lr_scheduler.StepLR([], step_size=1)
    adagrad = optim.Adagrad([ab.nn.Parameter(ab.zeros(2))])
    with pytest.raises(ValueError, match="'momentum' or 'betas', received Adagrad"):
        lr_scheduler.OneCycleLR(adagrad, max_lr=1.0, total_steps=10)
    lr_scheduler.OneCycleLR(adagrad, max_lr=1.0, total_steps=10, cycle_momentum=False)
    assert adagrad.param_groups[0]["lr"] == pytest.approx(0.04)
