"""Shared test set-up: make ``tests/reference.py`` importable as ``reference``.

pytest runs with ``--import-mode=importlib``, which does not put the test
directory on ``sys.path``; the independent NumPy reference lives beside the
tests and is imported by several of them.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
