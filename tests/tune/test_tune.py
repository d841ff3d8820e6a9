"""abinitio.tune and the ``tune`` / ``cv`` commands: search spaces, pruning, failed trials,
storage (resume, two workers on one study), bad input before any trial, the run it leaves."""

import json
import os

import numpy as np
import pytest

from helpers import require

optuna = require("optuna")

import abinitio as ab  # noqa: E402
from abinitio.cli import main  # noqa: E402
from abinitio.data import TensorDataset  # noqa: E402
from abinitio.tune import (  # noqa: E402
    Objective,
    PruningCallback,
    SearchSpace,
    create_study,
    storage_from_url,
)
from abinitio.tune.objective import fit_seed  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


# ---- search spaces ------------------------------------------------------------------------
def test_search_space_suggests_ranges_choices_and_fixed_values():
    space = SearchSpace({"lr": {"low": 1e-4, "high": 1e-1, "log": True},
                         "depth": {"low": 1, "high": 3}, "optimizer": {"choices": ["adam", "sgd"]},
                         "dropout": 0.1})  # fmt: skip
    trial = optuna.trial.FixedTrial({"lr": 3e-3, "depth": 2, "optimizer": "sgd"})
    assert space.suggest(trial) == {"lr": 3e-3, "depth": 2, "optimizer": "sgd", "dropout": 0.1}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = [space.suggest(study.ask()) for _ in range(40)]
    lrs = np.array([v["lr"] for v in values])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1e-1
    # log scale: about as many draws below 3e-3 (the geometric middle) as above
    assert 10 <= (lrs < 10**-2.5).sum() <= 30
    assert {v["depth"] for v in values} == {1, 2, 3}
    assert all(isinstance(v["depth"], int) for v in values)


def test_default_space_covers_the_issue_list_and_takes_overrides():
    space = SearchSpace.default("mlp", {"dropout": 0.0, "lr": {"low": 1e-3, "high": 1e-2}})
    assert set(space.entries) == {"lr", "batch_size", "depth", "width", "dropout",
                                  "weight_decay", "optimizer"}  # fmt: skip
    assert space.fixed == {"dropout": 0.0} and space.entries["lr"] == {"low": 1e-3, "high": 1e-2}
    assert "depth" not in SearchSpace.default("cnn").entries


@pytest.mark.parametrize("spec, message", [
    ({"low": 0.1, "high": 0.01}, "lr has low 0.1 > high 0.01; swap the bounds"),
    ({"low": 0.0, "high": 0.1, "log": True}, "log scale, so low must be > 0, got 0.0"),
    ({"choices": []}, "needs a non-empty list of choices"),
    ({"low": 1e-3}, "needs both low and high"),
    ({"low": 1e-3, "high": 1e-2, "scale": "log"}, "unknown keys \\['scale'\\]"),
    ({"low": "a", "high": 1.0}, "bounds must be finite numbers"),
])  # fmt: skip
def test_bad_search_spaces_are_refused_with_the_entry_named(spec, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace({"lr": spec})


def test_storage_urls():
    assert storage_from_url(None) is None
    assert isinstance(storage_from_url("sqlite://"), optuna.storages.RDBStorage)
    with pytest.raises(ValueError, match="unknown storage scheme 'ftp'"):
        storage_from_url("ftp://host/study")
    with pytest.raises(ValueError, match="journal storage needs a file"):
        storage_from_url("journal:")


# ---- the objective: pruning and failures ----------------------------------------------------
def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 2)).astype(np.float32) + 2.5 * np.eye(3, 2)[y].astype(np.float32)
    return TensorDataset(x[: n // 2], y[: n // 2]), TensorDataset(x[n // 2 :], y[n // 2 :])


def build_linear(params):
    model = ab.nn.Linear(2, 3)
    return model, ab.optim.SGD(model.parameters(), lr=params["lr"])


def build_zero_linear(params):
    model, optimizer = build_linear(params)
    model.weight.array[...] = 0.0
    model.bias.array[...] = 0.0
    return model, optimizer


def test_objective_reports_every_epoch_and_the_pruner_stops_bad_trials():
    train, val = blobs()
    space = SearchSpace({"lr": {"low": 1e-5, "high": 1.0, "log": True}, "batch_size": 32})
    objective = Objective(space, build_linear, train, val, epochs=6)
    study = create_study(sampler="random", pruner="median", seed=0)
    study.optimize(objective, n_trials=16)
    states = [t.state for t in study.trials]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert len(pruned) >= 2 and len(complete) >= 5, states
    assert all(len(t.intermediate_values) == 6 for t in complete)
    # no pruning before epoch 2 (the warm-up), then at any epoch up to the last
    assert all(2 <= len(t.intermediate_values) <= 6 for t in pruned)
    assert sum(len(t.intermediate_values) < 6 for t in pruned) >= 1
    # what was reported is the Trainer's validation loss; the value is the mean of the
    # last five epochs' (tail=5): a loss that spikes near the end counts against the trial
    best = study.best_trial
    assert best.value == pytest.approx(np.mean([best.intermediate_values[e] for e in range(2, 7)]))
    assert best.value != best.intermediate_values[6]
    assert 0 < best.user_attrs["val_accuracy"] <= 1 and best.value < 0.5
    # pruned trials had the higher learning-rate-starved losses: tiny learning rates
    assert np.median([t.params["lr"] for t in pruned]) < np.median(
        [t.params["lr"] for t in complete]
    )


def test_a_cross_validated_objective_is_the_mean_of_its_folds_and_prunes_between_them():
    train, val = blobs()
    halves = [(train, val), (val, train)]  # two folds: each half validates the other
    space = SearchSpace({"lr": {"low": 1e-5, "high": 1.0, "log": True}, "batch_size": 32})
    study = create_study(sampler="random", pruner="median", seed=0)
    # zero initial weights: a fold's seed moves only the shuffling, so a trial's score says
    # how good its learning rate is (random weights at a tiny learning rate would score by
    # their luck at initialisation, and the pruner would have little to tell apart)
    study.optimize(Objective(space, build_zero_linear, epochs=3, folds=halves * 2), n_trials=16)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert complete and pruned
    for trial in complete:
        losses = trial.user_attrs["fold_val_losses"]
        assert len(losses) == 4 and trial.value == pytest.approx(np.mean(losses))
        # the pruner saw the running mean after each fold, steps 0..3
        assert [trial.intermediate_values[k] for k in range(4)] == pytest.approx(
            [np.mean(losses[: k + 1]) for k in range(4)]
        )
        # the same fold again, but from its own seed (here: its shuffling): another model
        assert losses[0] != losses[2]
    assert all(len(t.intermediate_values) < 4 for t in pruned)
    # one fold's score, by hand: the model seeded for (trial, fold 0) trained on that fold,
    # its three epochs' validation losses averaged (tail 5 > 3 epochs: all of them)
    best = study.best_trial
    one = Objective(space, build_zero_linear, train, val, epochs=3)
    loss, _ = one._fit(best, best.params | {"batch_size": 32}, train, val, [])
    assert loss == pytest.approx(best.user_attrs["fold_val_losses"][0])
    assert len({fit_seed(0, t, k) for t in range(30) for k in range(5)}) == 150


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give train_set and val_set, or folds"),
    ({"folds": [(1, 2)]}, "at least 2 \\(train, val\\) pairs, got 1"),
    ({"folds": [(1, 2)] * 2, "train_set": 1, "val_set": 2}, "not both"),
])  # fmt: skip
def test_objective_refuses_a_half_given_split(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Objective(SearchSpace({"lr": 0.1}), build_linear, epochs=2, **kwargs)


def test_hyperband_prunes_too_and_a_timeout_stops_starting_trials():
    train, val = blobs()
    space = SearchSpace({"lr": {"low": 1e-5, "high": 1.0, "log": True}, "batch_size": 32})
    study = create_study(sampler="random", pruner="hyperband", seed=0, epochs=9)
    assert isinstance(study.pruner, optuna.pruners.HyperbandPruner)
    study.optimize(Objective(space, build_linear, train, val, epochs=9), n_trials=20)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and min(len(t.intermediate_values) for t in pruned) < 9
    study = create_study(sampler="random", pruner="none", seed=0)
    study.optimize(Objective(space, build_linear, train, val, epochs=2), timeout=0.5)
    # no n_trials: only the timeout ends it; a trial that has started still finishes
    assert study.trials and all(t.state.is_finished() for t in study.trials)


def test_a_trial_that_crashes_is_recorded_as_failed_and_the_study_goes_on():
    train, val = blobs()

    def build(params):
        if params["lr"] > 0.1:
            raise RuntimeError("this configuration cannot be built")
        return build_linear(params)

    space = SearchSpace({"lr": {"choices": [0.01, 0.5]}})
    study = create_study(sampler="random", pruner="none", seed=3)
    study.optimize(Objective(space, build, train, val, epochs=2), n_trials=8, catch=(Exception,))
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(study.trials) == 8 and 1 <= len(failed) < 8
    assert all(t.params["lr"] == 0.5 for t in failed)
    assert failed[0].user_attrs["error"] == "RuntimeError: this configuration cannot be built"


def test_pruning_callback_needs_the_validation_loss():
    study = optuna.create_study()
    callback = PruningCallback(study.ask())
    with pytest.raises(KeyError, match="'val_loss' is not among the epoch's metrics"):
        callback.on_epoch_end(None, 1, {"train_loss": 0.3})


# ---- the command line -------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


SMALL = ("--dataset", "digits", "--model", "mlp", "--epochs", "2", "--no-retrain", "--no-report")


@pytest.mark.parametrize("argv, message", [
    (("--trials", "0"), "--trials must be at least 1, got 0"),
    (("--storage", "ftp://host/s"), "--storage: unknown storage scheme 'ftp'"),
    (("--model", "cnn", "--dataset", "moons"), "--model cnn needs images (C, H, W)"),
    (("--model", "gru"), "abinitio tune tunes mlp or cnn"),
    (("--jobs", "0"), "--jobs must be at least 1"),
    (("--pruner", "asha"), "--pruner 'asha': choose one of: median, hyperband, none"),
    (("--cv", "1"), "--cv must be 0 (off) or at least 2 folds, got 1"),
    (("--storage", "postgresql+nodriver://db/x"), "cannot open the study"),
])  # fmt: skip
def test_bad_input_is_an_error_before_any_trial(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, "tune", "--out", str(tmp_path / "t"), *argv)
    assert code == 2 and message in err, err
    assert "trial" not in out and not (tmp_path / "t").exists()


def test_a_reversed_bound_in_the_config_file_is_an_error_before_any_trial(capsys, tmp_path):
    config = tmp_path / "tune.toml"
    config.write_text("trials = 3\n[space]\nlr = {low = 0.1, high = 0.001, log = true}\n")
    code, out, err = run(capsys, "tune", "--config", str(config), "--out", str(tmp_path / "t"))
    assert code == 2 and "lr has low 0.1 > high 0.001; swap the bounds" in err
    assert "trial" not in out
    config.write_text("[space]\nwidth = {choices = [0]}\n")
    code, out, err = run(capsys, "tune", "--config", str(config), "--out", str(tmp_path / "t"))
    assert code == 2 and "[space] width = 0: --width must be a positive integer" in err


def test_a_stored_study_resumes_where_it_stopped(capsys, tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    common = ("tune", *SMALL, "--storage", storage, "--study", "digits-mlp")
    code, out, _ = run(capsys, *common, "--trials", "3", "--out", str(tmp_path / "a"))
    assert code == 0 and "0 trials stored, running 3 more" in out
    first = optuna.load_study(study_name="digits-mlp", storage=storage).trials
    code, out, _ = run(capsys, *common, "--trials", "5", "--out", str(tmp_path / "b"))
    assert code == 0 and "3 trials stored, running 2 more" in out
    trials = optuna.load_study(study_name="digits-mlp", storage=storage).trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert [t.params for t in trials[:3]] == [t.params for t in first]
    code, out, _ = run(capsys, *common, "--trials", "5", "--out", str(tmp_path / "c"))
    assert "running 0 more" in out
    assert len(optuna.load_study(study_name="digits-mlp", storage=storage).trials) == 5


def test_two_worker_processes_share_one_journal_study(capsys, tmp_path):
    journal = tmp_path / "study.journal"
    code, out, _ = run(capsys, "tune", *SMALL, "--trials", "4", "--jobs", "2",
                       "--storage", f"journal:{journal}", "--study", "shared",
                       "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 0, out
    trials = optuna.load_study(
        study_name="shared", storage=storage_from_url(f"journal:{journal}")
    ).trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]  # each trial ran once
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == 2 and os.getpid() not in workers  # both processes' trials
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == 4


def test_tune_retrains_the_best_trial_into_an_ordinary_run_directory(capsys, tmp_path):
    out = tmp_path / "study"
    code, printed, _ = run(capsys, "tune", "--dataset", "digits", "--model", "mlp",
                           "--epochs", "3", "--trials", "3", "--out", str(out))  # fmt: skip
    assert code == 0, printed
    summary = json.loads((out / "study.json").read_text())
    best = summary["best"]
    run_dir = out / f"best-trial-{best['number']}"
    assert len(summary["trials"]) == 3 and best["run_dir"] == str(run_dir)
    for name in ("config.toml", "model.safetensors", "metrics.json", "report.html"):
        assert (run_dir / name).is_file(), name
    config = (run_dir / "config.toml").read_text()
    assert f"layers = {best['params']['depth']}" in config
    assert f"width = {best['params']['width']}" in config
    code, printed, _ = run(capsys, "evaluate", str(run_dir))
    assert code == 0 and f"{best['test_accuracy']:.2%}" in printed
    report = (out / "report.html").read_text()
    for title in ("Optimisation history", "Parallel coordinates", "Slices"):
        assert title in report
    assert report.count("data:image/png;base64") >= 4


# ---- abinitio cv --------------------------------------------------------------------------------
def test_cv_prints_mean_and_std_per_metric_and_writes_a_report(capsys, tmp_path):
    out = tmp_path / "cv"
    code, printed, _ = run(capsys, "cv", "--dataset", "moons", "--folds", "3", "--epochs", "5",
                           "--out", str(out))  # fmt: skip
    assert code == 0
    result = json.loads((out / "cv.json").read_text())
    scores = result["scores"]["test_accuracy"]
    assert len(scores) == 3 and min(scores) > 0.8
    mean, std = np.mean(scores), np.std(scores, ddof=1)
    assert f"accuracy                 {mean:.4f} ± {std:.4f}" in printed
    assert len(result["histories"]) == 3 and len(result["histories"][0]) == 5
    assert "val_loss" in result["histories"][0][0]  # the held-out fold, watched each epoch
    report = (out / "report.html").read_text()
    assert "Per-fold curves" in report and "Fold scores" in report


@pytest.mark.parametrize("argv, message", [
    (("--folds", "1"), "--folds must be at least 2, got 1"),
    (("--model", "cnn", "--dataset", "moons"), "--model cnn needs images"),
    (("--dataset", "text"), "--dataset text is a language model"),
])  # fmt: skip
def test_cv_bad_input(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "cv", "--out", str(tmp_path / "cv"), *argv)
    assert code == 2 and message in err, err
