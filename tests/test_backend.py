"""The array-library seam and the allocator setting made at import."""

import platform
import subprocess
import sys

import numpy as np

from abinitio import backend


def test_numpy_is_the_default_module():
    assert backend.get_array_module(np.zeros(2)) is np
    assert backend.device_of(np.zeros(2)) == "cpu"
    assert isinstance(backend.to_numpy([1, 2]), np.ndarray)


def test_scatter_add_accumulates_repeated_indices():
    target = np.zeros(3)
    backend.scatter_add(target, np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]))
    assert target.tolist() == [3.0, 0.0, 5.0]


def test_allocator_setting_can_be_switched_off():
    code = "import abinitio.backend as b; print(b.keep_freed_memory())"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"ABINITIO_SYSTEM_MALLOC": "1", "PATH": ""})  # fmt: skip
    assert off.stdout.strip() == "False"
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert on.stdout.strip() == str(glibc)  # only glibc has mallopt's thresholds
