"""An item's agent.log box opens at the log's end: the last lines (an agent's error) are what a reader sees."""

from __future__ import annotations

import pytest

from pytest_agentbench.reporting.page import REPORT_CSS, detail_html

pytestmark = pytest.mark.browser


def test_the_log_box_opens_showing_the_last_line(page, tmp_path):
    log = "\n".join(f"step {i}" for i in range(400)) + "\nTraceback: the agent's last line"
    html = tmp_path / "detail.html"
    html.write_text(f"<html><head><style>{REPORT_CSS}</style></head><body>"
                    f"{detail_html({'message': 'failed', 'log_tail': log})}</body></html>")
    page.goto(html.as_uri())
    # Where the first and the last line sit against the box's visible area, without the reader scrolling it.
    seen = page.locator(".ab-log").evaluate("""box => {
        const text = (box.querySelector('span') || box).firstChild, area = box.getBoundingClientRect();
        const where = (from, to) => { const r = document.createRange(); r.setStart(text, from); r.setEnd(text, to);
                                      const b = r.getBoundingClientRect();
                                      return b.top >= area.top - 1 && b.bottom <= area.bottom + 1; };
        const last = text.data.lastIndexOf('Traceback');
        return {first: where(0, 6), last: where(last, text.data.length), scrolls: box.scrollHeight > box.clientHeight};
    }""")
    assert seen == {"first": False, "last": True, "scrolls": True}
