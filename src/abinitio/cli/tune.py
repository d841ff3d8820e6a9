"""``abinitio tune``: search hyperparameters with Optuna, then retrain the best.

1. Check everything first (data set, model, search space, storage, counts): bad input is
   an error before any trial runs.
2. Hold out a stratified part of the training split for validation (the test split is
   never used while tuning), and run trials until the study holds ``--trials`` finished
   (complete or pruned) ones: a resumed study only runs the ones it lacks. Each trial
   trains with the Trainer, reports the validation loss after every epoch, and may be
   pruned; it is scored by the mean validation loss of its last 5 epochs (the retraining
   keeps the final weights: see :class:`abinitio.tune.Objective`); one that crashes or
   diverges is recorded as failed and the study goes on.
3. Retrain the best configuration on the whole training split with ``abinitio train``:
   ``OUT/best-trial-K`` is an ordinary run directory (``abinitio evaluate`` works on it);
   a resumed study whose best trial is unchanged keeps the one it has.
4. Write ``OUT/study.json`` (every trial) and ``OUT/report.html`` (Optuna's plots).

``--jobs N`` starts N worker processes that share one stored study (a journal file in
OUT unless ``--storage`` names one); processes on other machines join a study through a
database URL (``postgresql://...``) and the same ``--study`` name.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import sys
import time

from abinitio.cli import registry
from abinitio.cli.options import TrainConfig, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TUNED_MODELS = ("mlp", "cnn")
# search-space names -> TrainConfig fields (depth is the MLP's number of hidden layers)
CONFIG_FIELDS = {"depth": "layers", "width": "width", "lr": "lr", "batch_size": "batch_size",
                 "dropout": "dropout", "weight_decay": "weight_decay",
                 "optimizer": "optimizer"}  # fmt: skip
OPTIONS = {"dataset": "digits", "model": "mlp", "trials": 30, "epochs": None,
           "val_fraction": 0.2, "sampler": "tpe", "pruner": "median", "seed": 0,
           "storage": None, "study": None, "timeout": None, "jobs": 1, "cv": 0}  # fmt: skip


def add_parser(commands) -> None:
    tune = commands.add_parser("tune", help="search hyperparameters with Optuna, retrain the best")
    tune.add_argument("--dataset", help="digits (default), mnist1d, moons, ...")
    tune.add_argument("--model", help="mlp (default) or cnn")
    tune.add_argument("--trials", type=int, help="finished trials the study should hold (30)")
    tune.add_argument("--epochs", type=int, help="epochs per trial (the recipe's)")
    tune.add_argument("--val-fraction", type=float, help="training share to validate on (0.2)")
    tune.add_argument("--cv", type=int, metavar="K", help="score each trial by K-fold "
                      "cross-validation instead of one held-out split (0: off)")  # fmt: skip
    tune.add_argument("--sampler", help="tpe (default) or random")
    tune.add_argument("--pruner", help="median (default), hyperband or none")
    tune.add_argument("--seed", type=int)
    tune.add_argument("--storage", metavar="URL", help="sqlite:///FILE.db, postgresql://..., "
                      "mysql://... or journal:FILE (default: in memory)")  # fmt: skip
    tune.add_argument("--study", metavar="NAME", help="study name; persists it (SQLite in OUT)")
    tune.add_argument("--timeout", type=float, metavar="S", help="stop starting trials after S s")
    tune.add_argument("--jobs", type=int, help="worker processes sharing the study")
    tune.add_argument("--config", metavar="FILE.toml", help="options, and [space] overrides")
    tune.add_argument("--out", help="folder (default runs/tune-<study> or runs/tune-<time>)")
    tune.add_argument("--no-retrain", action="store_true", help="skip retraining the best")
    tune.add_argument("--no-report", action="store_true", help="skip report.html (plots)")


# ---- 1. everything checked before any trial ------------------------------------------------
def resolve(args) -> dict:
    """The command's options: defaults <- config file <- command line, checked; plus the
    search space, the storage URL (SQLite in OUT for a named study, a journal file in OUT
    for several workers) and the output folder."""
    file_values, space_overrides = _read_config(getattr(args, "config", None))
    options = dict(OPTIONS)
    for key, value in file_values.items():
        if key not in OPTIONS:
            raise UsageError(f"config file: unknown option {key!r}; valid: {', '.join(OPTIONS)}")
        options[key] = value
    for key in OPTIONS:
        if getattr(args, key, None) is not None:
            options[key] = getattr(args, key)
    _check_counts(options)
    if options["model"] not in TUNED_MODELS:
        raise UsageError(
            f"--model {options['model']!r}: abinitio tune tunes {' or '.join(TUNED_MODELS)}"
        )
    if registry.dataset_name(options["dataset"]) == "text":
        raise UsageError("abinitio tune tunes classifiers; --dataset text is a language model")
    from abinitio.tune import SearchSpace
    from abinitio.tune.study import storage_scheme

    try:
        space = SearchSpace.default(options["model"], space_overrides)
    except ValueError as error:
        raise UsageError(str(error)) from None
    unknown = set(space.entries) - set(CONFIG_FIELDS)
    if unknown:
        raise UsageError(
            f"[space]: unknown hyperparameters {sorted(unknown)}; known: {', '.join(CONFIG_FIELDS)}"
        )
    if "depth" in space.entries and options["model"] != "mlp":
        raise UsageError(
            f"[space] depth: --model {options['model']} has a fixed depth; only mlp has depth"
        )
    out = getattr(args, "out", None) or _default_out(options)
    storage = options["storage"]
    if storage is None and options["study"] is not None:
        storage = "sqlite:///" + os.path.abspath(os.path.join(out, "study.db"))
    if storage is None and options["jobs"] > 1:
        storage = "journal:" + os.path.abspath(os.path.join(out, "study.journal"))
    try:
        if storage is not None:
            storage_scheme(storage)
    except ValueError as error:
        raise UsageError(f"--storage: {error}") from None
    options.update(space=space, out=out, storage=storage,
                   study=options["study"] or os.path.basename(os.path.normpath(out)))  # fmt: skip
    return options


def _read_config(path):
    if not path:
        return {}, {}
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except FileNotFoundError:
        raise UsageError(f"config file {path!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config file {path!r} is not valid TOML: {error}") from None
    space = values.pop("space", {})
    if not isinstance(space, dict):
        raise UsageError(f"config file {path!r}: space must be a table ([space]), got {space!r}")
    return {k.replace("-", "_"): v for k, v in values.items()}, space


def _check_counts(options: dict) -> None:
    checks = [
        ("trials", options["trials"] is not None and options["trials"] >= 1, "at least 1"),
        ("jobs", options["jobs"] >= 1, "at least 1"),
        ("epochs", options["epochs"] is None or options["epochs"] >= 1, "at least 1"),
        ("timeout", options["timeout"] is None or options["timeout"] > 0, "a positive number"),
        ("val_fraction", 0 < options["val_fraction"] < 1, "in (0, 1)"),
        ("seed", options["seed"] >= 0, "a non-negative integer"),
        ("cv", options["cv"] == 0 or options["cv"] >= 2, "0 (off) or at least 2 folds"),
    ]
    for name, ok, expected in checks:
        if not ok:
            raise UsageError(
                f"--{name.replace('_', '-')} must be {expected}, got {options[name]!r}"
            )
    from abinitio.tune.study import PRUNERS, SAMPLERS

    for name, known in (("sampler", SAMPLERS), ("pruner", PRUNERS)):
        if options[name] not in known:
            raise UsageError(f"--{name} {options[name]!r}: choose one of: {', '.join(known)}")


def _default_out(options: dict) -> str:
    if options["study"]:
        return os.path.join("runs", f"tune-{options['study']}")
    name = registry.dataset_name(options["dataset"])
    return os.path.join("runs", f"tune-{name}-{options['model']}-{time.strftime('%Y%m%d-%H%M%S')}")


def base_config(options: dict) -> TrainConfig:
    """The recipe ``abinitio train`` uses for this data set and model (epochs from --epochs)."""
    from abinitio.cli.train import resolve_config

    values = {"dataset": options["dataset"], "model": options["model"], "seed": options["seed"],
              "epochs": options["epochs"]}  # fmt: skip
    return resolve_config(values)


def trial_config(base: TrainConfig, params: dict) -> TrainConfig:
    """The training config of one trial: the recipe with the trial's values on top."""
    return base.merged({CONFIG_FIELDS[name]: value for name, value in params.items()})


# ---- 2. the trials -------------------------------------------------------------------------
def objective_for(options: dict, data):
    from abinitio.data import Subset, TensorDataset
    from abinitio.data.datasets.splits import stratified_split
    from abinitio.tune import Objective

    base = base_config(options)
    train_set = TensorDataset(data.x_train, data.y_train)

    def build(params):
        config = trial_config(base, params)
        model = registry.build_model(config, data)
        return model, registry.build_optimizer(config, model)

    if options["cv"]:
        from sklearn.model_selection import StratifiedKFold

        # shuffled apart from `abinitio cv`'s folds (seed), so a study is not fitted to them
        splitter = StratifiedKFold(options["cv"], shuffle=True, random_state=base.seed + 1)
        folds = [(Subset(train_set, train), Subset(train_set, val))
                 for train, val in splitter.split(data.x_train, data.y_train)]  # fmt: skip
        return Objective(options["space"], build, epochs=base.epochs, seed=base.seed,
                         folds=folds)  # fmt: skip
    train_rows, val_rows = stratified_split(data.y_train, options["val_fraction"], base.seed)
    return Objective(options["space"], build, Subset(train_set, train_rows),
                     Subset(train_set, val_rows), base.epochs, seed=base.seed)  # fmt: skip


def run_trials(options: dict, n_trials: int, worker: int = 0) -> None:
    """One worker: load (or create) the study and run ``n_trials`` trials in it."""
    import optuna

    from abinitio.tune import create_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = registry.load_dataset(options["dataset"])
    objective = objective_for(options, data)
    study = create_study(options["storage"], options["study"], options["sampler"],
                         options["pruner"], seed=options["seed"] + worker,
                         epochs=objective.epochs)  # fmt: skip
    study.set_user_attr("dataset", options["dataset"])
    study.set_user_attr("model", options["model"])
    study.optimize(objective, n_trials=n_trials, timeout=options["timeout"], catch=(Exception,),
                   callbacks=[_print_trial])  # fmt: skip


def _print_trial(study, trial) -> None:
    value = "" if trial.value is None else f" val_loss {trial.value:.4f}"
    params = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
    print(f"trial {trial.number:>3} {trial.state.name.lower():<8}{value}  {params}", flush=True)


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def tune(args) -> int:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    options = resolve(args)
    data = registry.load_dataset(options["dataset"])
    base = base_config(options)
    registry.build_model(base, data)  # a model that does not fit the data fails here
    for config in _extreme_configs(base, options["space"]):
        registry.build_model(config, data)
    created = not os.path.isdir(options["out"])
    os.makedirs(options["out"], exist_ok=True)
    from abinitio.serialization import temporaries

    for path in temporaries(options["out"]):  # writes a kill cut short (study.json, report)
        os.remove(path)
    from abinitio.tune import create_study, finished_trials, storage_from_url

    try:  # a database driver that is not installed, a server that does not answer
        study = create_study(options["storage"], options["study"], options["sampler"],
                             options["pruner"], seed=options["seed"],
                             epochs=base.epochs)  # fmt: skip
    except Exception as error:
        if created:
            os.rmdir(options["out"])  # nothing was done: leave nothing behind
        message = f"--storage {options['storage']}: cannot open the study: {error}"
        raise UsageError(message) from None
    interrupted = fail_interrupted_trials(study)
    if interrupted:
        print(f"trials {', '.join(map(str, interrupted))}: their process was killed while they "
              "ran; marked failed")  # fmt: skip
    missing = max(options["trials"] - len(finished_trials(study)), 0)
    print(f"study {options['study']!r} ({options['storage'] or 'in memory'}): "
          f"{len(study.trials)} trials stored, running {missing} more, "
          f"{base.epochs} epochs each, {options['jobs']} worker(s)")  # fmt: skip
    if missing and options["jobs"] == 1:
        _optimize_here(study, options, data, missing)
    elif missing:
        _run_workers(options, missing)
        storage = storage_from_url(options["storage"])
        study = optuna.load_study(study_name=options["study"], storage=storage)
    return finish(study, options, base, retrain=not getattr(args, "no_retrain", False),
                  report=not getattr(args, "no_report", False))  # fmt: skip


def fail_interrupted_trials(study) -> list:
    """Mark failed the trials a killed process left running (SIGKILL, a power cut: Optuna
    never hears that they ended), so that a resumed study's files do not list them as
    running forever; returns their numbers. Only a trial whose recorded process
    (``worker``, ``host``) was on this machine and no longer exists is touched: one running
    in a live process, or on another machine sharing the storage, is left alone."""
    import optuna

    host, interrupted = socket.gethostname(), []
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in running:
        pid = trial.user_attrs.get("worker")
        if trial.user_attrs.get("host") != host or not isinstance(pid, int) or _alive(pid):
            continue
        study._storage.set_trial_user_attr(
            trial._trial_id, "error", f"interrupted: its process {pid} ended while it ran"
        )
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        interrupted.append(trial.number)
    return interrupted


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _optimize_here(study, options, data, n_trials: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = objective_for(options, data)
    study.optimize(objective, n_trials=n_trials, timeout=options["timeout"], catch=(Exception,),
                   callbacks=[_print_trial])  # fmt: skip


def _run_workers(options: dict, n_trials: int) -> None:
    """Split ``n_trials`` among ``--jobs`` processes sharing the stored study."""
    jobs = min(options["jobs"], n_trials)
    shares = [n_trials // jobs + (k < n_trials % jobs) for k in range(jobs)]
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared state
    workers = [context.Process(target=run_trials, args=(options, share, k))
               for k, share in enumerate(shares)]  # fmt: skip
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    failed = [p.exitcode for p in workers if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"abinitio tune: {len(failed)} worker(s) exited with codes {failed}")


def _extreme_configs(base: TrainConfig, space) -> list:
    """Configs at the ends of every range and each choice: each must build a model."""
    configs = []
    for name, spec in space.entries.items():
        if not isinstance(spec, dict):
            values = [spec]
        elif "choices" in spec:
            values = spec["choices"]
        else:
            values = [spec["low"], spec["high"]]
        for value in values:
            try:
                config = trial_config(base, {name: value})
                config.validate(list(registry.OPTIMIZERS))
            except UsageError as error:
                raise UsageError(f"[space] {name} = {value!r}: {error}") from None
            configs.append(config)
    return configs


# ---- 3. and 4. the best trial retrained, the report -----------------------------------------
def finish(study, options: dict, base: TrainConfig, retrain: bool = True,
           report: bool = True) -> int:  # fmt: skip
    from abinitio.cli.train import train, write_json
    from abinitio.tune import finished_trials, write_study_report

    trials = study.trials
    counts = {state: sum(t.state.name.lower() == state for t in trials)
              for state in ("complete", "pruned", "fail")}  # fmt: skip
    print(f"{counts['complete']} complete, {counts['pruned']} pruned, {counts['fail']} failed")
    summary = {"study": options["study"], "storage": options["storage"] or "in memory",
               "dataset": options["dataset"], "model": options["model"],
               "epochs per trial": base.epochs, "sampler": options["sampler"],
               "pruner": options["pruner"], **counts}  # fmt: skip
    payload = {"options": {k: v for k, v in options.items() if k != "space"},
               "space": options["space"].entries, "counts": counts,
               "trials": [_trial_record(t) for t in trials]}  # fmt: skip
    complete = [t for t in finished_trials(study) if t.state.name == "COMPLETE"]
    if not complete:
        write_json(os.path.join(options["out"], "study.json"), payload)
        errors = [t.user_attrs.get("error") for t in trials if t.state.name == "FAIL"]
        raise RuntimeError(
            f"abinitio tune: no trial completed ({counts}); first error: {errors[:1]}"
        )
    best = study.best_trial
    print(f"best trial {best.number}: val_loss {best.value:.4f}, "
          f"val_accuracy {best.user_attrs.get('val_accuracy', float('nan')):.2%}")  # fmt: skip
    print("  " + ", ".join(f"{k}={_short(v)}" for k, v in best.params.items()))
    payload["best"] = {"number": best.number, "value": best.value, "params": best.params}
    summary.update({"best trial": best.number, "best val_loss": f"{best.value:.4f}"})
    summary["best params"] = ", ".join(f"{k}={_short(v)}" for k, v in best.params.items())
    if retrain:
        run_dir = os.path.join(options["out"], f"best-trial-{best.number}")
        results = None  # a resumed study with the same best keeps its finished retraining
        if os.path.exists(os.path.join(run_dir, "report.html")):  # train writes it last
            results = read_retrained(run_dir)
        if results is None:  # a retraining that a kill cut short (it left config.toml) resumes
            config = trial_config(base, {**options["space"].fixed, **best.params})
            config = config.merged({"out": run_dir})
            resume = os.path.exists(os.path.join(run_dir, "config.toml"))
            results = train(config, run_dir=run_dir, resume=resume, progress=False,
                            log=lambda message: None)  # fmt: skip
        payload["best"]["run_dir"] = run_dir
        payload["best"]["test_accuracy"] = results["test_accuracy"]
        summary["best retrained: test accuracy"] = f"{results['test_accuracy']:.2%}"
        print(f"best configuration retrained on the whole training split: {run_dir} "
              f"(test accuracy {results['test_accuracy']:.2%})")  # fmt: skip
    write_json(os.path.join(options["out"], "study.json"), payload)
    if not report:
        return 0
    path = os.path.join(options["out"], "report.html")
    title = f"tuning {options['model']} on {options['dataset']}"
    write_study_report(study, path, summary, title=title)
    print(f"report: {path}")
    return 0


def read_retrained(run_dir: str):
    """The results of a finished retraining in ``run_dir`` (its ``metrics.json``), or None
    when there is none. Raises UsageError naming the file when it is damaged."""
    path = os.path.join(run_dir, "metrics.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as file:
            results = json.load(file)
    except (OSError, ValueError, RecursionError) as error:  # bad UTF-8 is a ValueError
        message = f"{path} is not a metrics.json abinitio train wrote: {error}"
        raise UsageError(message[:500]) from None
    accuracy = results.get("test_accuracy") if isinstance(results, dict) else None
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, float)) or not (
        0 <= accuracy <= 1
    ):
        raise UsageError(f"{path} is not a metrics.json abinitio train wrote: test_accuracy "
                         f"{str(accuracy)[:50]}, expected a number in [0, 1]")  # fmt: skip
    return results


def _trial_record(trial) -> dict:
    return {"number": trial.number, "state": trial.state.name.lower(), "value": trial.value,
            "params": trial.params, "epochs": len(trial.intermediate_values),
            "val_accuracy": trial.user_attrs.get("val_accuracy"),
            "error": trial.user_attrs.get("error")}  # fmt: skip
