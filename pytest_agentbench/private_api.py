"""The one module using other projects' private APIs: why each is needed, and the versions it was checked with.

pytest-html (checked with 4.2.0, the version installed; pyproject caps it below 5):
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
