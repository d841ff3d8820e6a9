"""What a seeded 30-trial study finds on digits (TPE, median pruning, 10 epochs per trial),
scored by 5-fold cross-validation on the training split against the command line's
recipe for the MLP at the same 10-epoch budget, on the same folds.

Measured (scripts/tune_vs_recipe.py and the README): the study matches the recipe at
equal epochs (seeds 0, 1, 2: -0.13, +0.63, +0.90 points) but does not beat the
full 30-epoch recipe (-0.5 to -1.2 points); the recipe was tuned by hand. So this test
asserts non-inferiority at equal epochs with a margin below the worst seed, and pruning.
"""

import argparse

import numpy as np

from helpers import require

optuna = require("optuna")

from abinitio.cli import registry  # noqa: E402
from abinitio.cli import tune as tuning  # noqa: E402
from abinitio.cli.cv import cross_validate_recipe  # noqa: E402
from abinitio.tune import create_study  # noqa: E402


def test_a_seeded_30_trial_study_matches_the_recipe_at_equal_epochs_and_prunes(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    args = argparse.Namespace(dataset="digits", model="mlp", trials=30, epochs=10, seed=0,
                              out=str(tmp_path))  # fmt: skip
    options = tuning.resolve(args)
    data = registry.load_dataset("digits")
    recipe = tuning.base_config(options)  # abinitio train --model mlp --epochs 10
    assert (recipe.epochs, recipe.lr, recipe.optimizer) == (10, 1e-2, "adam")
    study = create_study(None, None, seed=0, epochs=recipe.epochs)
    study.optimize(tuning.objective_for(options, data), n_trials=30)
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.PRUNED) >= 3, states  # measured 9-20
    tuned = tuning.trial_config(recipe, study.best_params)
    baseline = np.mean(cross_validate_recipe(recipe, data, folds=5)["scores"]["test_accuracy"])
    found = np.mean(cross_validate_recipe(tuned, data, folds=5)["scores"]["test_accuracy"])
    assert found > 0.95 and found >= baseline - 0.005, (found, baseline, study.best_params)
