"""The switch the profiler turns on: while a recorder is installed, ``Function.apply`` and
the backward engine time every primitive's forward and backward and hand the times to it.

When no profiler runs, the only cost is one attribute read per primitive call
(``_state.recorder is None``). The recorder itself lives in :mod:`abinitio.profiler`; this
module holds only the thread-local slot, so the engine does not import anything above it.
"""

from __future__ import annotations

import threading


class _ProfilerState(threading.local):
    recorder = None


_state = _ProfilerState()
