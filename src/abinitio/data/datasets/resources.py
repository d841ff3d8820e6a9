"""Where data sets come from: optional packages, imported only when needed, and the cache
directory that keeps what was generated once.

The cache directory is, in order of precedence: the ``cache_dir`` argument, the
``ABINITIO_CACHE_DIR`` environment variable, ``$XDG_CACHE_HOME/abinitio``, and
``~/.cache/abinitio``. Files are written atomically (a temporary file in the same
directory, then ``os.replace``), so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np

from abinitio.serialization import write_atomically

CACHE_ENV_VAR = "ABINITIO_CACHE_DIR"


def require(module: str, purpose: str, package: str | None = None):
    """Import ``module`` or raise an ImportError that says what needs it and how to install it.

    Example:
        >>> require("json", "reading JSON").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = package or module.split(".")[0]
        raise ImportError(
            f"{purpose} needs the {package!r} package, which is not installed: "
            f"pip install {package}  (or pip install 'abinitio[data]')"
        ) from error


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """The directory data sets are cached in (see the module docstring); not created here.

    Example:
        >>> str(cache_dir("/tmp/my-cache"))
        '/tmp/my-cache'
    """
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "abinitio"


def save_arrays(path: Path, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write ``arrays`` to the safetensors file ``path``, atomically (creating its folder)."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    contiguous = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    write_atomically(path, lambda temporary: save_file(contiguous, temporary, metadata=metadata))


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read the arrays of a safetensors file written by :func:`save_arrays`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError) as error:
        raise ValueError(
            f"cannot read the cached file {path}: {error}; delete it (or pass regenerate=True)"
        ) from error
