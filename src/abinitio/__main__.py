"""``python -m abinitio`` runs the ``abinitio`` command."""

import sys

from abinitio.cli import main

sys.exit(main())
