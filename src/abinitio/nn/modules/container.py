"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (collections
whose members are registered, so their parameters are found)."""

from __future__ import annotations

from collections import OrderedDict

from abinitio.nn.modules.module import Module


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    In a feed-forward network the first layer plays the *input layer* role (it receives
    the features), the last one the *output layer* (one neuron per class or target), and
    those in between are the *hidden layers*; the names are roles, not types.

    Example:
        >>> import abinitio as ab
        >>> model = ab.nn.Sequential(ab.nn.Linear(4, 8), ab.nn.ReLU(), ab.nn.Linear(8, 3))
        >>> model(ab.randn(2, 4)).shape
        (2, 3)

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _check_module(module, index))

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        modules = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(modules[index]))
        return modules[index][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), _check_module(module, len(self._modules)))
        return self


class ModuleList(Module):
    """A list of modules, registered so that their parameters belong to the parent.

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        for module in modules or []:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), _check_module(module, len(self._modules)))
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[index]
        self._modules[key] = _check_module(module, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules (insertion-ordered), registered under their keys.

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        for name, module in dict(modules or {}).items():
            self[name] = module

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, _check_module(module, name))

    def __delitem__(self, name: str) -> None:
        del self._modules[name]

    def __contains__(self, name: str) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


def _check_module(module, position):
    if not isinstance(module, Module):
        raise TypeError(f"entry {position!r} is a {type(module).__name__}, not an nn.Module")
    return module
