"""Fixtures for the browser tests; the machinery lives in harness.py (a unique module name, so the
top-level tests' conftest and this one never shadow each other when the whole suite runs)."""

from harness import *  # noqa: F401,F403  (pytest collects the fixtures from this namespace)
from harness import _browser, _proxy  # noqa: F401
