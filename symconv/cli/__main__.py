"""``python -m symconv.cli``: the same command line as the ``symconv`` script."""

import sys

from symconv.cli import main

sys.exit(main())
