"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

While recording is off, operations compute their result and build no graph: nothing is
saved for a backward pass, which makes evaluation faster and lighter. The switch is one
thread-local flag, as in PyTorch, so a worker thread's ``no_grad`` does not affect others.
"""

from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record a graph for backward."""
    return _state.enabled


class _GradModeContext:
    """Base of the context managers below; each also works as a decorator."""

    mode = True

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @no_grad without ()
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        _state.enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording off.

    Example:
        >>> import abinitio as ab
        >>> w = ab.ones(2, requires_grad=True)
        >>> with ab.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False

    See the article docs/articles/learning/backpropagation.py.
    """

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``.

    See the article docs/articles/learning/backpropagation.py.
    """

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off at once; as a context manager it
    restores the previous mode on exit (PyTorch's semantics).

    See the article docs/articles/learning/backpropagation.py.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, function):
        _state.enabled = self._previous  # used as a decorator: do not switch now

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return function(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """PyTorch's faster ``no_grad`` for evaluation; in abinitio the two are the same switch
    (there is no version counter to skip). ``inference_mode(False)`` leaves recording as
    it is, as PyTorch does.

    Example:
        >>> import abinitio as ab
        >>> w = ab.ones(2, requires_grad=True)
        >>> with ab.inference_mode():
        ...     (w * 2).requires_grad
        False

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, mode: bool = True) -> None:
        self.enabled = bool(mode)

    def __enter__(self):
        self._previous = _state.enabled
        if self.enabled:
            _state.enabled = False
        return self

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with inference_mode(self.enabled):
                return function(*args, **kwargs)

        return wrapper
