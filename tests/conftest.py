"""Shared test set-up: every test starts from the same seed.

Parity tests take the ``torch`` fixture: it fails the test, naming what to install, where
PyTorch is not installed (``helpers.require``); the README's test command installs it.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import abinitio as ab

settings.register_profile(
    "abinitio", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("abinitio")


@pytest.fixture(autouse=True)
def _seed_everything():
    ab.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Generated data sets (MNIST-1D) go to a cache inside the test session's temp dir."""
    monkeypatch.setenv("ABINITIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def torch():
    from helpers import require

    return require("torch")
