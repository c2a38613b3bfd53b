"""`python -m FasterAPI run ...`: the same as the `fasterapi` command."""

import sys

from .server.cli import main

if __name__ == "__main__":  # not when spawned worker processes import this as __mp_main__
    sys.exit(main())
