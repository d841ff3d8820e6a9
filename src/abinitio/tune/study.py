"""Studies: where trials are stored, how the next one is chosen, when one is pruned.

Storage, by URL:

=====================================  ==============================================
``None``                               in memory (lost when the process ends)
``sqlite:///FILE.db``                  a SQLite file (Optuna's ``RDBStorage``)
``postgresql://...``, ``mysql://...``  a database server: many machines, one study
``journal:FILE``                       an append-only log file (Optuna's journal
                                       storage), safe for many processes on one disk
=====================================  ==============================================

A stored study is loaded when it exists (``load_if_exists``), so rerunning continues it.
"""

from __future__ import annotations

RDB_SCHEMES = ("sqlite", "postgresql", "mysql", "oracle", "mssql")
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "hyperband", "none")


def storage_from_url(url: str | None):
    """``None`` or an Optuna storage object for ``url`` (see the module docstring).

    Raises:
        ValueError: an unknown scheme; the message lists the known ones.

    Example:
        >>> storage_from_url(None) is None
        True
        >>> storage_from_url("ftp://host/study")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown storage scheme 'ftp' in 'ftp://host/study'; use sqlite:///FILE.db, ...
    """
    if url is None:
        return None
    import optuna

    if storage_scheme(url) == "journal":
        backend = optuna.storages.journal.JournalFileBackend(url.partition(":")[2])
        return optuna.storages.JournalStorage(backend)
    return optuna.storages.RDBStorage(url)


def storage_scheme(url: str) -> str:
    """``"journal"`` or the database of an RDB URL (``"sqlite"``, ``"postgresql"``, ...);
    checks the URL's form without opening anything."""
    scheme = url.partition(":")[0].split("+")[0].lower()
    if scheme == "journal":
        if not url.partition(":")[2]:
            raise ValueError(f"journal storage needs a file: journal:FILE, got {url!r}")
        return scheme
    if scheme in RDB_SCHEMES and "://" in url:
        return scheme
    raise ValueError(
        f"unknown storage scheme {scheme!r} in {url!r}; use sqlite:///FILE.db, "
        "postgresql://..., mysql://... or journal:FILE"
    )


def create_study(storage=None, study_name: str | None = None, sampler: str = "tpe",
                 pruner: str = "median", seed: int | None = 0, epochs: int = 10):  # fmt: skip
    """A minimising Optuna study (a new one, or the stored one of that name).

    Args:
        storage: ``None``, a storage URL or an Optuna storage object.
        study_name: the study's name in the storage.
        sampler: ``"tpe"`` (default: a tree-structured Parzen estimator models where good
            trials were) or ``"random"``; ``seed`` seeds it.
        pruner: ``"median"`` (prune below the median of earlier trials at the same
            epoch, from the 6th trial and the 2nd epoch on), ``"hyperband"`` or ``"none"``.
        epochs: the most epochs a trial runs (Hyperband's ``max_resource``).

    See the article docs/articles/generalisation/hyperparameter_tuning.py.
    """
    import optuna

    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of: {', '.join(SAMPLERS)}")
    if pruner not in PRUNERS:
        raise ValueError(f"unknown pruner {pruner!r}; choose one of: {', '.join(PRUNERS)}")
    if isinstance(storage, str):
        storage = storage_from_url(storage)
    samplers = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}
    pruners = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs),
        "none": optuna.pruners.NopPruner,
    }
    return optuna.create_study(storage=storage, study_name=study_name, direction="minimize",
                               sampler=samplers[sampler](seed=seed), pruner=pruners[pruner](),
                               load_if_exists=study_name is not None)  # fmt: skip


def finished_trials(study) -> list:
    """Trials that ran to the end or were pruned (failed and running ones excluded)."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return study.get_trials(deepcopy=False, states=states)
