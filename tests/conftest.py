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

import os  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# In CI runs are reproducible (derandomized) so a landing never hinges on luck;
# locally hypothesis explores new examples every run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: everything a test needs is installed there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped:
        names = ", ".join(getattr(r, "nodeid", "?") for r in skipped)
        print(f"\nCI: {len(skipped)} test(s) skipped, which CI does not allow: {names}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-generated", action="store_true", default=False,
        help="rewrite generated/ from the examples in tests/test_generated.py instead of failing "
        "when the committed files differ from freshly generated ones",
    )


@pytest.fixture(autouse=True)
def _text_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text format wraps to ``COLUMNS``: tests see its default width, whatever the terminal is."""
    monkeypatch.delenv("COLUMNS", raising=False)
