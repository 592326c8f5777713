"""`python -m selfreport_wire`: see `selfreport_wire.cli`."""

import sys

from .cli import main

sys.exit(main())
