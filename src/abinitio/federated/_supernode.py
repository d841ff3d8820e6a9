"""``flower-supernode`` with shorter waits, for the loopback launcher.

Flower's SuperNode sleeps a fixed 3 s whenever it finds no message and polls for a
ClientApp's reply every 0.5 s; on one machine those waits, not the work, set the length of
a round. This runs Flower's own ``flower-supernode`` entry point unchanged except that its
module's ``time.sleep`` is capped at ``ABINITIO_FLWR_POLL`` seconds (default 0.25), and
its object pulls retry sooner (:mod:`abinitio.federated._waits`). Its idle polls back off:
they start at ``ABINITIO_FLWR_IDLE_MIN`` (0.02 s) after each message and double up to
``ABINITIO_FLWR_IDLE_MAX`` (1 s): fewer requests while nothing happens (on 2 cores the
polls of ten SuperNodes, not the waits, were what a round waited for), a prompt start
when something does; ``ABINITIO_FLWR_IDLE_MAX=0.25`` gives the constant 0.25 s polls of
before. The many-machine recipe uses the stock ``flower-supernode``.
"""

import os
import sys
import time

from flwr.supernode import start_client_internal
from flwr.supernode.cli import flower_supernode

CAP = float(os.environ.get("ABINITIO_FLWR_POLL", "0.25"))
IDLE_MIN = float(os.environ.get("ABINITIO_FLWR_IDLE_MIN", "0.02"))
IDLE_MAX = float(os.environ.get("ABINITIO_FLWR_IDLE_MAX", "1.0"))
IDLE_SLEEP = 3  # Flower's sleep when a poll found no message


class _PromptTime:
    """The ``time`` module, with ``sleep`` capped at CAP seconds; Flower's idle sleep
    backs off from IDLE_MIN to IDLE_MAX when IDLE_MAX > CAP."""

    idle = 0  # polls in a row that found nothing

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        if seconds != IDLE_SLEEP:  # waiting for a ClientApp's reply: a message is here
            self.idle = 0
            time.sleep(min(seconds, CAP))
        elif IDLE_MAX > CAP:
            time.sleep(min(IDLE_MAX, IDLE_MIN * 2**self.idle))
            self.idle = min(self.idle + 1, 30)
        else:
            time.sleep(min(seconds, CAP))


if __name__ == "__main__":  # only here: importing this module (pytest does) patches nothing
    from abinitio.federated._waits import shorten_pull_backoff

    shorten_pull_backoff()  # the objects of a message it pulls from the SuperLink
    start_client_internal.time = _PromptTime()
    sys.argv[0] = "flower-supernode"
    sys.exit(flower_supernode())
