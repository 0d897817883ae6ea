"""The one module that uses other projects' private APIs, each where no public one does the job: why
each is needed, and the versions it was checked with. pyproject caps pytest and pytest-html below their
next major versions, where these may change.

pytest (checked with 9.2.0, pytest-xdist 3.8.0): an item's resolved fixtures, and letting spec errors
through collection (below).

pytest-html (checked with 4.2.0; capped below 5):
- An item whose xdist worker died never sends its teardown report, and pytest-html makes a row only from
  one. Its public hooks can change rows but not add one, so the crashed item's row is handed to
  pytest-html's report object (`pytest_html.basereport.BaseReport`, found among the registered plugins)
  as the teardown report it never got.
- That row's test id says "(worker crashed)": pytest-html builds the id cell itself (`<nodeid>::teardown`)
  and `pytest_html_results_table_row` gets the cells as a list of `<td>`s, the id at index 1 (result,
  test id, duration, links), an order pytest-html does not document.
"""

from __future__ import annotations

import pytest


# --- collection -------------------------------------------------------------------

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


# --- pytest-html ---

def html_report_plugin(config: pytest.Config):
    """pytest-html's report object (it receives the run's test reports), or None without --html."""
    try:
        from pytest_html.basereport import BaseReport
    except ImportError:
        return None
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, BaseReport)), None)


def set_test_id_cell(cells: list[str], html_text: str) -> None:
    """Replace the test id cell of a pytest-html row (`html_text` is already escaped)."""
    cells[1] = f'<td class="col-testId">{html_text}</td>'
