"""The issue's claim: on digits, a seeded 30-trial study (TPE, median pruning) finds a
configuration whose 5-fold CV accuracy beats the command line's default recipe for the
same model (``abinitio train --model mlp``: Adam, lr 1e-2, (256, 128), 30 epochs), and the
pruner prunes some trials. Both are scored by the same 5-fold cross-validation of the
training split (``abinitio cv``'s folds, seeded apart from the study's validation split);
the test split is not used.

The study is ``abinitio tune``'s default: trials of the recipe's 30 epochs validated on
20% of the training split, each scored by the mean validation loss of its last 5 epochs.
Measured over seeds 0-4 (scripts/tune_vs_recipe.py, README "Cross-validation and
tuning"; AMD EPYC, OpenBLAS SkylakeX kernels): the tuned configuration beats the recipe
on all five, by +0.21, +0.14, +0.56, +0.42 and +0.21 points (recipe 97.22-98.12%). This
test runs the command line's default seed, 0: +0.21 points, 3 of the 1,438 fold
predictions. That is the margin the assertion stands on against another BLAS kernel's
rounding; a drift that reverses it would show as the tuned score at or below the recipe's.
Pruned trials measured: 9-19 of 30; the test asks for at least 3.
"""

import argparse

import numpy as np

from helpers import require

optuna = require("optuna")

from abinitio.cli import registry  # noqa: E402
from abinitio.cli import tune as tuning  # noqa: E402
from abinitio.cli.cv import cross_validate_recipe  # noqa: E402
from abinitio.tune import create_study  # noqa: E402


def test_a_seeded_30_trial_study_beats_the_default_recipe_in_5_fold_cv_and_prunes(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    args = argparse.Namespace(dataset="digits", model="mlp", trials=30, seed=0,
                              out=str(tmp_path))  # fmt: skip
    options = tuning.resolve(args)
    data = registry.load_dataset("digits")
    recipe = tuning.base_config(options)  # what abinitio train --model mlp runs
    assert (recipe.epochs, recipe.lr, recipe.optimizer) == (30, 1e-2, "adam")
    study = create_study(None, None, seed=0, epochs=recipe.epochs)
    study.optimize(tuning.objective_for(options, data), n_trials=30)
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.PRUNED) >= 3, states
    tuned = tuning.trial_config(recipe, study.best_params)
    baseline = cross_validate_recipe(recipe, data, folds=5)["scores"]["test_accuracy"]
    found = cross_validate_recipe(tuned, data, folds=5)["scores"]["test_accuracy"]
    assert np.mean(found) > np.mean(baseline), (found, baseline, study.best_params)
