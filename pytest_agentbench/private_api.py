"""The one module that uses other projects' private APIs, each where no public one does the job: why
each is needed, and the versions it was checked with. pyproject caps pytest and pytest-html below their
next major versions, where these may change.

pytest (checked with 9.2.0, pytest-xdist 3.8.0): an item's resolved fixtures, and letting spec errors
through collection (below).

pytest-xdist (checked with 3.8.0): a worker that runs each item as soon as it holds it (scheduling.py).
xdist's worker waits for its next item before running the current one (pytest's runtest protocol
takes `nextitem`, to know what to keep set up), so the item after it is held, not run elsewhere. Running
items as they come needs the worker's command queue (`WorkerInteractor.torun`, its `channel` and
`handle_command`, `sendevent`, and `item_index`, which its reports carry), and pytest's SetupState
(`session._setupstate`) to tear down, when the next item arrives, what the one before held that it does not share.

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


# --- pytest-xdist: running items as they come ------------------------------------

def xdist_worker_queue(config: pytest.Config):
    """This worker's WorkerInteractor (xdist/remote.py), started listening to the controller as its own
    pytest_runtestloop starts it: `.torun.get()` gives the next item's index or `shutdown_marker(worker)`.
    Found by its class name: execnet runs xdist/remote.py as a module of its own in the worker, not as
    `xdist.remote`, so its classes are not the importable ones."""
    [worker] = [p for p in config.pluginmanager.get_plugins() if type(p).__name__ == "WorkerInteractor"]
    worker.channel.setcallback(worker.handle_command, endmarker=shutdown_marker(worker))
    return worker


def shutdown_marker(worker):
    """The marker the worker's queue gives at shutdown, from the worker's own module."""
    return type(worker).__init__.__globals__["Marker"].SHUTDOWN


class KeepAncestors:
    """Stands for "the next item" in an item's teardown when it is not known yet: pytest's SetupState
    tears down what the next item does not descend from (`listchain()`), so this keeps the item's
    collectors and session fixtures and tears down the item itself."""

    def __init__(self, item: pytest.Item):
        self._chain = item.listchain()[:-1]

    def listchain(self) -> list:
        return self._chain


def teardown_towards(session: pytest.Session, item: pytest.Item) -> None:
    """Tear down what the previous item left set up that `item` does not share (its file's, class's
    fixtures): what pytest does in the previous item's teardown when it knows the next item."""
    session._setupstate.teardown_exact(item)


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
