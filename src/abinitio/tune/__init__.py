"""Hyperparameter tuning on Optuna: a search space, an objective that trains with
abinitio's Trainer and reports every epoch's validation loss to Optuna's pruner, studies
in memory, SQLite, a database server or a journal file, and a report of Optuna's plots.
Needs optuna (the ``tune`` extra); ``import abinitio`` alone does not import it."""

from abinitio.tune.objective import Objective, PruningCallback
from abinitio.tune.report import study_figures, write_study_report
from abinitio.tune.space import DEFAULT_SPACES, SearchSpace
from abinitio.tune.study import create_study, finished_trials, storage_from_url

__all__ = [
    "DEFAULT_SPACES",
    "Objective",
    "PruningCallback",
    "SearchSpace",
    "create_study",
    "finished_trials",
    "storage_from_url",
    "study_figures",
    "write_study_report",
]
