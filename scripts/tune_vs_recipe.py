"""Does tuning pay? A seeded Optuna study (TPE, median pruning) on digits against the
command line's default recipe, both scored by the same 5-fold cross-validation on the
training split (the test split is not used).

    python scripts/tune_vs_recipe.py --model mlp --trials 30 --epochs 10 --seeds 0 1 2
    python scripts/tune_vs_recipe.py --model mlp --trials 30 --cv 5 --seeds 0 1 2 3 4

Trials train ``--epochs`` epochs (default: the recipe's). Prints, per seed, the 5-fold CV
accuracy of the tuned configuration, of the recipe at the same epochs and of the recipe
with its own epochs (30 for the MLP on digits), the pruned trials and the wall time.
"""

import argparse
import json
import os
import time

import numpy as np

from abinitio.cli import registry
from abinitio.cli import tune as tuning
from abinitio.cli.cv import cross_validate_recipe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--cv", type=int, default=0, help="k-fold scored trials (0: holdout)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--tail", type=int, default=5,
                        help="last epochs averaged into a trial's score (1: the last alone)")
    parser.add_argument("--json", help="append each seed's record to this JSON-lines file")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = registry.load_dataset(args.dataset)
    for seed in args.seeds:
        started = time.perf_counter()
        options = tuning.resolve(argparse.Namespace(dataset=args.dataset, model=args.model,
                                 trials=args.trials, epochs=args.epochs, seed=seed,
                                 cv=args.cv, out="/tmp/tune_vs_recipe"))  # fmt: skip
        from abinitio.tune import create_study

        base = tuning.base_config(options)  # the recipe, with --epochs per trial
        study = create_study(None, None, seed=seed, epochs=base.epochs)
        objective = tuning.objective_for(options, data)
        objective.tail = min(args.tail, objective.epochs)
        study.optimize(objective, n_trials=args.trials, catch=(Exception,))
        pruned = sum(t.state.name == "PRUNED" for t in study.trials)
        failed = sum(t.state.name == "FAIL" for t in study.trials)
        tuned = tuning.trial_config(base, study.best_params)
        default = tuning.base_config({**options, "epochs": None})  # abinitio train's recipe
        scores = {
            "tuned": cross_validate_recipe(tuned, data, 5)["scores"]["test_accuracy"],
            f"recipe@{base.epochs}": cross_validate_recipe(base, data, 5)["scores"][
                "test_accuracy"
            ],
            f"recipe@{default.epochs}": cross_validate_recipe(default, data, 5)["scores"][
                "test_accuracy"
            ],
        }
        table = "  ".join(
            f"{k} {np.mean(v):.4f} ± {np.std(v, ddof=1):.4f}" for k, v in scores.items()
        )
        seconds = time.perf_counter() - started
        print(
            f"seed {seed}: {table}  pruned {pruned}/{args.trials} failed {failed}  "
            f"{seconds:.0f} s  best {study.best_params}",
            flush=True,
        )
        print("  folds: " + "  ".join(f"{k} {np.round(v, 4).tolist()}" for k, v in scores.items()))
        if args.json:
            record = {"seed": seed, "model": args.model, "trials": args.trials,
                      "epochs": base.epochs, "cv": args.cv, "tail": objective.tail,
                      "pruned": pruned, "failed": failed, "seconds": round(seconds, 1),
                      "load": os.getloadavg()[0], "best": study.best_params,
                      "fold_accuracy": {k: list(v) for k, v in scores.items()}}  # fmt: skip
            with open(args.json, "a") as file:
                file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
