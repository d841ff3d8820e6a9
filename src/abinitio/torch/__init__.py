"""Run a PyTorch program on abinitio: an import hook that makes ``import torch`` give abinitio.

``python -m abinitio.torch SCRIPT.py [args]`` installs the hook and runs the script as
``__main__``. Inside it, ``import torch``, ``torch.nn``, ``torch.nn.functional``,
``torch.optim``, ``torch.utils.data``, ``torch.distributions`` … resolve to abinitio's
modules of the same names, and ``torchvision`` to :mod:`abinitio.vision`. A learner can
then step into abinitio's readable source from a familiar program.

The rule is one table, not a list of modules: ``torch.X.Y`` is ``abinitio.X.Y`` whenever
abinitio has that module (so a module added to abinitio is reachable at once), with the few
renames in :data:`RENAMES`. What the program gets is a thin *view* of each abinitio module:
every attribute is abinitio's own object (``torch.nn.Linear is abinitio.nn.Linear``), and a
name abinitio lacks raises :class:`NotImplementedInAbinitio`, which says
"abinitio does not implement torch.X yet" and names the line of the program that asked.
It is an ``AttributeError`` (and, for ``import torch.X``, a ``ModuleNotFoundError``), so
``hasattr(torch, "compile")`` and ``getattr(torch.backends, "mps", None)`` keep working.

Example:
    >>> from abinitio.torch import torch_modules
    >>> with torch_modules():
    ...     import torch
    ...     import torch.nn.functional as F
    ...     y = F.relu(torch.tensor([-1.0, 2.0]))
    >>> y
    tensor([0., 2.])

See the article docs/articles/learning/from_pytorch_and_back.py.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

__all__ = ["NotImplementedInAbinitio", "RENAMES", "install", "uninstall", "torch_modules",
           "abinitio_name", "run"]  # fmt: skip

#: torch-side prefix -> abinitio module, where the name is not simply ``abinitio.X``.
RENAMES = {
    "torch": "abinitio",
    "torchvision": "abinitio.vision",
}

_MAPPED_ROOTS = ("torch", "torchvision")


class NotImplementedInAbinitio(AttributeError):
    """A torch name the program used that abinitio has no counterpart for (yet).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """


def abinitio_name(torch_name: str) -> str:
    """The abinitio module that stands for a torch module name: ``torch.nn.functional`` ->
    ``abinitio.nn.functional``, ``torchvision.transforms`` -> ``abinitio.vision.transforms``."""
    for prefix in sorted(RENAMES, key=len, reverse=True):
        if torch_name == prefix or torch_name.startswith(prefix + "."):
            return RENAMES[prefix] + torch_name[len(prefix):]
    raise ValueError(f"not a torch module name: {torch_name!r}")


def _is_mapped(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in _MAPPED_ROOTS)


def _call_site(depth: int = 2) -> str:
    """'file:line' of the first frame outside this module (the program's line)."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, "importlib._bootstrap"):
        frame = frame.f_back
    while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
        frame = frame.f_back
    if frame is None:
        return "an unknown line"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _missing(name: str, site: str) -> str:
    return (
        f"abinitio does not implement {name} yet (used at {site}); abinitio covers PyTorch's "
        "core (tensors, autograd, nn, optim, utils.data, distributions): see the article "
        "docs/articles/learning/from_pytorch_and_back.py for what maps"
    )


class _TorchView(types.ModuleType):
    """``torch.X`` as the program sees it: abinitio's module ``abinitio.X`` behind a view
    whose misses name the torch attribute and the program line."""

    def __init__(self, torch_name: str, module: types.ModuleType) -> None:
        super().__init__(torch_name, module.__doc__)
        self.__dict__["_abinitio_module"] = module
        self.__path__ = []  # a package, so that `import torch.X.Y` is attempted
        self.__file__ = getattr(module, "__file__", None)

    def __getattr__(self, name: str):
        module = self.__dict__["_abinitio_module"]
        torch_name = f"{self.__name__}.{name}"
        try:
            value = getattr(module, name)
        except AttributeError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            if importlib.util.find_spec(f"{module.__name__}.{name}") is None:
                raise NotImplementedInAbinitio(_missing(torch_name, _call_site())) from None
            value = importlib.import_module(f"{module.__name__}.{name}")
        if isinstance(value, types.ModuleType) and value.__name__.startswith("abinitio"):
            return _view(torch_name, value)
        return value

    def __dir__(self):
        return sorted(set(dir(self.__dict__["_abinitio_module"])) | set(self.__dict__))

    def __repr__(self) -> str:
        module = self.__dict__["_abinitio_module"]
        return f"<module {self.__name__!r}: abinitio's {module.__name__}>"


def _view(torch_name: str, module: types.ModuleType) -> _TorchView:
    existing = sys.modules.get(torch_name)
    if isinstance(existing, _TorchView):
        return existing
    view = _TorchView(torch_name, module)
    if _Finder.active:
        sys.modules[torch_name] = view
    return view


class _Loader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType) -> None:
        self.module = module

    def create_module(self, spec):
        return _TorchView(spec.name, self.module)

    def exec_module(self, module) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Answers imports of ``torch`` and ``torchvision`` (and their submodules) with views
    of abinitio's modules, before any real torch installation is looked at."""

    active = False

    def find_spec(self, fullname, path=None, target=None):
        if not _is_mapped(fullname):
            return None
        name = abinitio_name(fullname)
        try:
            found = importlib.util.find_spec(name)
        except (ModuleNotFoundError, ValueError):
            found = None
        if found is None and isinstance(sys.modules.get(name), types.ModuleType):
            found = sys.modules[name]  # registered by its parent (abinitio.utils.data.sampler)
        if found is None:
            raise ModuleNotFoundError(_missing(fullname, _call_site()), name=fullname)
        module = importlib.import_module(name)
        return importlib.machinery.ModuleSpec(fullname, _Loader(module), is_package=True)


_finder = _Finder()
_saved: dict = {}


def install() -> None:
    """Make ``import torch`` (and ``torchvision``) give abinitio from now on. Any real torch
    modules already imported are set aside and come back on :func:`uninstall`."""
    if _Finder.active:
        return
    for name in list(sys.modules):
        if _is_mapped(name):
            _saved[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)
    _Finder.active = True


def uninstall() -> None:
    """Undo :func:`install`: the views go, and any real torch modules come back."""
    if not _Finder.active:
        return
    sys.meta_path.remove(_finder)
    _Finder.active = False
    for name in list(sys.modules):
        if _is_mapped(name):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()


@contextlib.contextmanager
def torch_modules():
    """``with torch_modules():`` the hook is installed inside the block only.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """
    install()
    try:
        yield
    finally:
        uninstall()


def run(script: str, args=()) -> None:
    """Run ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` and the hook
    installed, as ``python -m abinitio.torch SCRIPT.py args`` does.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """
    import os
    import runpy

    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    install()
    try:
        runpy.run_path(script, run_name="__main__")
    except ImportError as error:  # `from torch.x import y` loses our message: restore it
        message = str(error)
        if isinstance(error, ModuleNotFoundError) or "cannot import name" not in message:
            raise
        parts = message.split("'")
        name = f"{parts[3]}.{parts[1]}" if len(parts) > 3 else message
        if not _is_mapped(name):
            raise
        tb = error.__traceback__
        while tb.tb_next is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != os.path.abspath(script):
            tb = tb.tb_next
        site = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        raise ImportError(_missing(name, site)) from None
