"""Where the time goes: time per primitive, forward and backward apart, as ``torch.profiler``.

While a :class:`profile` is open, every ``Function.apply`` times its ``forward`` and the
backward engine times every ``backward`` it runs (named ``<Op>Backward``, as PyTorch names
its graph nodes). :func:`record_function` adds ranges of your own (a training step, the
optimiser). Each range knows its *total* time and its *self* time (total minus the ranges
opened inside it)::

    self(r) = total(r) - sum(total(c) for c in children(r))

``key_averages()`` groups the events by name and ``table(sort_by=...)`` prints them, largest
first. The time that is in no range at all is Python between the primitives (building the
graph, module calls, the optimiser's loop): the table's last line gives its share, which is
the part a fused kernel cannot remove but fewer, larger primitives can.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import tempfile
import time

from abinitio.autograd import profiling

SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count")


class ProfilerActivity(enum.Enum):
    """What to record. Only ``CPU`` exists here: every primitive runs on the host clock.

    See the article docs/articles/learning/making_models_fast.py.
    """

    CPU = "cpu"


class FunctionEvent:
    """One timed range: a primitive's forward, its backward, or a :func:`record_function`.

    Times are in microseconds, as in ``torch.autograd.profiler.FunctionEvent``.

    Attributes:
        name: ``"Mul"``, ``"MulBackward"`` or the name given to :func:`record_function`.
        start_us: start, microseconds since the profile opened.
        cpu_time_total: the range's duration (us).
        self_cpu_time_total: duration minus the ranges opened inside it (us).
        input_shapes: the inputs' shapes (``record_shapes=True``), else ``()``.

    See the article docs/articles/learning/making_models_fast.py.
    """

    __slots__ = ("name", "start_us", "cpu_time_total", "self_cpu_time_total", "input_shapes")

    def __init__(self, name, start_us, total_us, self_us, input_shapes=()) -> None:
        self.name = name
        self.start_us = start_us
        self.cpu_time_total = total_us
        self.self_cpu_time_total = self_us
        self.input_shapes = input_shapes

    @property
    def key(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<FunctionEvent {self.name} {self.cpu_time_total:.1f}us>"


class FunctionEventAvg:
    """The events of one name (and input shapes, if grouped so) summed together.

    Attributes:
        key: the name.
        count: how many events.
        cpu_time_total, self_cpu_time_total: summed times (us).
        cpu_time, self_cpu_time: the averages per call (us).
        input_shapes: the shapes shared by the group (``group_by_input_shape=True``).

    See the article docs/articles/learning/making_models_fast.py.
    """

    def __init__(self, key, input_shapes=()) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return f"<FunctionEventAvg {self.key} count={self.count} {self.cpu_time_total:.1f}us>"


class EventList(list):
    """A list of :class:`FunctionEvent` (or of :class:`FunctionEventAvg` once averaged).

    See the article docs/articles/learning/making_models_fast.py.
    """

    def __init__(self, events=(), wall_us: float = 0.0) -> None:
        super().__init__(events)
        self.wall_us = wall_us

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One :class:`FunctionEventAvg` per name (per name and shapes if asked)."""
        groups = {}
        for event in self:
            shapes = event.input_shapes if group_by_input_shape else ()
            key = (event.name, shapes)
            if key not in groups:
                groups[key] = FunctionEventAvg(event.name, shapes)
            groups[key].add(event)
        return EventList(groups.values(), self.wall_us)

    def table(self, sort_by: str = "self_cpu_time_total", row_limit: int = 100) -> str:
        """The rows as ``torch.profiler``'s table, largest ``sort_by`` first.

        ``sort_by`` is one of ``cpu_time_total``, ``self_cpu_time_total``, ``cpu_time``,
        ``self_cpu_time`` or ``count``; ``row_limit`` caps the rows (negative: no cap).
        """
        if sort_by not in SORT_KEYS:
            raise ValueError(f"table: sort_by must be one of {SORT_KEYS}, got {sort_by!r}")
        rows = self if self and isinstance(self[0], FunctionEventAvg) else self.key_averages()
        rows = sorted(rows, key=lambda r: getattr(r, sort_by), reverse=True)
        return _format_table(rows, row_limit, self.wall_us)

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one row named ``Total``."""
        total = FunctionEventAvg("Total")
        for event in self:
            total.count += event.count if isinstance(event, FunctionEventAvg) else 1
            total.cpu_time_total += event.cpu_time_total
            total.self_cpu_time_total += event.self_cpu_time_total
        return total

    def export_chrome_trace(self, path) -> None:
        """Write the events as a Chrome trace (open it in chrome://tracing or Perfetto)."""
        trace = []
        for event in self:
            if not isinstance(event, FunctionEvent):
                raise ValueError("export_chrome_trace: needs the raw events, not averages")
            entry = {"name": event.name, "ph": "X", "ts": event.start_us,
                     "dur": event.cpu_time_total, "pid": os.getpid(), "tid": 0}  # fmt: skip
            if event.input_shapes:
                entry["args"] = {"Input Dims": [list(s) for s in event.input_shapes]}
            trace.append(entry)
        _write_atomically(path, json.dumps({"traceEvents": trace}))


class _Recorder:
    """Collects the events of one :class:`profile`; ``Function.apply`` and the engine call
    :meth:`run` instead of the primitive when a recorder is installed."""

    def __init__(self, record_shapes: bool) -> None:
        self.record_shapes = record_shapes
        self.events = []
        self.origin = time.perf_counter()
        self._children = []  # one running sum of children's time per open range

    def run(self, name, fn, args, kwargs=None, arrays=()):
        self._children.append(0.0)
        start = time.perf_counter()
        try:
            return fn(*args, **(kwargs or {}))
        finally:
            total = time.perf_counter() - start
            children = self._children.pop()
            if self._children:
                self._children[-1] += total
            shapes = _shapes(arrays) if self.record_shapes else ()
            start_us = (start - self.origin) * 1e6
            event = FunctionEvent(name, start_us, total * 1e6, (total - children) * 1e6, shapes)
            self.events.append(event)


def _shapes(arrays) -> tuple:
    return tuple(tuple(getattr(a, "shape", ())) for a in arrays)


class profile:
    """Record the time of every primitive run inside the ``with`` block.

    Args:
        activities: ``[ProfilerActivity.CPU]`` (the default and the only choice).
        record_shapes: keep every event's input shapes, for
            ``key_averages(group_by_input_shape=True)``.

    Only the thread that opened the profile is recorded (the switch is thread-local, like
    ``no_grad``). Profiles do not nest.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.profiler import profile
        >>> x = ab.ones(3, 3, requires_grad=True)
        >>> with profile() as prof:
        ...     (x * x).sum().backward()
        >>> sorted({e.key for e in prof.key_averages()})
        ['Mul', 'MulBackward', 'Sum', 'SumBackward', 'autograd::backward']

    See the article docs/articles/learning/making_models_fast.py.
    """

    def __init__(self, activities=None, record_shapes: bool = False) -> None:
        for activity in activities or [ProfilerActivity.CPU]:
            if activity is not ProfilerActivity.CPU:
                raise ValueError(
                    f"profile: only ProfilerActivity.CPU is recorded, got {activity!r}"
                )
        self.record_shapes = record_shapes
        self._recorder = None
        self._wall_us = 0.0

    def start(self) -> None:
        if profiling._state.recorder is not None:
            raise RuntimeError("profile: a profiler is already running in this thread")
        self._recorder = _Recorder(self.record_shapes)
        profiling._state.recorder = self._recorder

    def stop(self) -> None:
        if self._recorder is None or profiling._state.recorder is not self._recorder:
            raise RuntimeError("profile.stop: this profiler is not running")
        profiling._state.recorder = None
        self._wall_us = (time.perf_counter() - self._recorder.origin) * 1e6

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc_info) -> bool:
        self.stop()
        return False

    def events(self) -> EventList:
        """Every recorded range, in the order they closed."""
        if self._recorder is None:
            raise RuntimeError("profile.events: the profiler has not run")
        return EventList(self._recorder.events, self._wall_us)

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """The events grouped by name: see :meth:`EventList.key_averages`."""
        return self.events().key_averages(group_by_input_shape)

    def export_chrome_trace(self, path) -> None:
        """Write the trace for chrome://tracing or https://ui.perfetto.dev."""
        self.events().export_chrome_trace(path)


class record_function:
    """Name a range of your own code in the profile (a context manager or a decorator).
    Outside a profile it costs one attribute read.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.profiler import profile, record_function
        >>> with profile() as prof:
        ...     with record_function("my step"):
        ...         y = ab.ones(2) + 1
        >>> [e.key for e in prof.events()]
        ['Add', 'my step']

    See the article docs/articles/learning/making_models_fast.py.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        self.name = name
        self._open = None

    def __enter__(self) -> record_function:
        recorder = profiling._state.recorder
        if recorder is not None:
            recorder._children.append(0.0)
            self._open = (recorder, time.perf_counter())
        return self

    def __exit__(self, *exc_info) -> bool:
        if self._open is None:
            return False
        recorder, start = self._open
        self._open = None
        total = time.perf_counter() - start
        children = recorder._children.pop()
        if recorder._children:
            recorder._children[-1] += total
        start_us = (start - recorder.origin) * 1e6
        recorder.events.append(
            FunctionEvent(self.name, start_us, total * 1e6, (total - children) * 1e6)
        )
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return function(*args, **kwargs)

        return wrapper


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_table(rows, row_limit: int, wall_us: float) -> str:
    if row_limit >= 0:
        shown = rows[:row_limit]
    else:
        shown = rows
    self_total = sum(r.self_cpu_time_total for r in rows)
    with_shapes = any(r.input_shapes for r in rows)
    width = min(max([len(r.key) for r in shown] + [4]), 55) + 2
    headers = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    if with_shapes:
        headers.append("Input Shapes")
    rule = "-" * width + "".join("  " + "-" * 12 for _ in headers)
    lines = [rule, "Name".rjust(width) + "".join(f"  {h:>12}" for h in headers), rule]
    for r in shown:
        share = 100 * r.self_cpu_time_total / self_total if self_total else 0.0
        total_share = 100 * r.cpu_time_total / self_total if self_total else 0.0
        cells = [f"{share:.2f}%", _format_time(r.self_cpu_time_total), f"{total_share:.2f}%"]
        cells += [_format_time(r.cpu_time_total), _format_time(r.cpu_time), str(r.count)]
        if with_shapes:
            cells.append(str([list(s) for s in r.input_shapes]))
        name = r.key if len(r.key) <= width - 2 else r.key[: width - 5] + "..."
        lines.append(name.rjust(width) + "".join(f"  {c:>12}" for c in cells))
    lines.append(rule)
    lines.append(f"Self CPU time total: {_format_time(self_total)}")
    if wall_us > 0:
        outside = max(wall_us - self_total, 0.0)
        lines.append(
            f"Wall time in the profile: {_format_time(wall_us)}; outside every range "
            f"(Python between primitives): {_format_time(outside)} "
            f"({100 * outside / wall_us:.1f}%)"
        )
    return "\n".join(lines)


def _write_atomically(path, text: str) -> None:
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".trace-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
