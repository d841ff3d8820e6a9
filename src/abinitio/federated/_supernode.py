"""``flower-supernode`` with shorter waits, for the loopback launcher.

Flower's SuperNode sleeps a fixed 3 s whenever it finds no message and polls for a
ClientApp's reply every 0.5 s; on one machine those waits, not the work, set the length of
a round. This runs Flower's own ``flower-supernode`` entry point unchanged except that its
module's ``time.sleep`` is capped at ``ABINITIO_FLWR_POLL`` seconds (default 0.25). The
many-machine recipe uses the stock ``flower-supernode``.
"""

import os
import sys
import time

from flwr.supernode import start_client_internal
from flwr.supernode.cli import flower_supernode

CAP = float(os.environ.get("ABINITIO_FLWR_POLL", "0.25"))


class _PromptTime:
    """The ``time`` module, with ``sleep`` capped at CAP seconds."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, CAP))


if __name__ == "__main__":  # only here: importing this module (pytest does) patches nothing
    from abinitio.federated._waits import shorten_pull_backoff

    shorten_pull_backoff()  # the objects of a message it pulls from the SuperLink
    start_client_internal.time = _PromptTime()
    sys.argv[0] = "flower-supernode"
    sys.exit(flower_supernode())
