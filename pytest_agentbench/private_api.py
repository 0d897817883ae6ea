"""The one module that uses private APIs of pytest (and its plugins), each where no public one does
the job; every use says why and which versions were checked. pyproject caps pytest below its next
major version, where these may change.

Checked with pytest 9.2.0, pytest-xdist 3.8.0.
"""

from __future__ import annotations

import pytest


# --- collection (families helper) -------------------------------------------------------------------

def fixture_info(item: pytest.Function):
    """The fixtures an item resolved (pytest's FuncFixtureInfo, `Function._fixtureinfo`), to hand to the
    next item under the same conftest files as `Function.from_parent(fixtureinfo=...)`, a public
    parameter whose value has no public getter. Working the closure out once, not once per task, was
    most of the time of collecting thousands of specs (bench/bench_collect.py)."""
    return item._fixtureinfo


def let_collection_errors_pass(session: pytest.Session) -> None:
    """Run the collected items although collection failed (as --continue-on-collection-errors does):
    pytest has no hook for it; its own pytest_runtestloop (_pytest/main.py) reads the option after
    collection, so setting it before that, from a tryfirst pytest_runtestloop, is what works."""
    session.config.option.continue_on_collection_errors = True
