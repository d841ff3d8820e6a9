"""Shared test set-up: every test starts from the same seed; PyTorch is optional.

Parity tests take the ``torch`` fixture: it skips the test where PyTorch is not installed,
and fails it under CI (``helpers.require``), where ``.ci/run`` installs every oracle.
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
