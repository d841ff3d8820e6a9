"""Shorter retry waits in Flower's object transfer, for the processes abinitio runs.

A Flower message travels as a head (the message) and its objects (each array, each
record), which follow in separate requests. Whoever pulls a message before all its objects
have arrived (a ClientApp, forked the moment its SuperNode has stored the head, while the
SuperNode is still pulling the objects from the SuperLink; the ServerApp, pulling a reply
whose arrays are still being pushed) is told "unavailable" and retries after
``PULL_INITIAL_BACKOFF`` = 1 s, doubling to 10 s. On one machine the objects arrive
milliseconds later, so those backoffs, not the work, set a round's length (1-3 s a hop).

``shorten_pull_backoff`` sets the default backoff of Flower's own ``pull_objects`` and
``pull_and_inflate_object_from_tree`` (the two functions every pull goes through) to start
at ``initial`` seconds and double up to ``cap``: the same requests, the same protocol,
retried sooner. It changes only the process it runs in.
"""

from __future__ import annotations

import os

__all__ = ["shorten_pull_backoff"]

# ABINITIO_FLWR_PULL_BACKOFF="INITIAL,CAP" (seconds) overrides these; "1,10" is Flower's own
INITIAL, CAP = 0.05, 0.5


def shorten_pull_backoff(initial: float | None = None, cap: float | None = None) -> None:
    """Flower's object pulls in this process retry after ``initial`` s, doubling to
    ``cap`` s (Flower's defaults: 1 s doubling to 10 s)."""
    from flwr.supercore.inflatable import inflatable_utils

    setting = os.environ.get("ABINITIO_FLWR_PULL_BACKOFF", f"{INITIAL},{CAP}").split(",")
    initial = float(setting[0]) if initial is None else initial
    cap = float(setting[1]) if cap is None else cap

    for function in (inflatable_utils.pull_objects,
                     inflatable_utils.pull_and_inflate_object_from_tree):  # fmt: skip
        defaults = dict(function.__kwdefaults__)
        defaults.update(initial_backoff=initial, backoff_cap=cap)
        function.__kwdefaults__ = defaults
