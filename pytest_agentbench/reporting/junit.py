"""JUnit: the properties a family adds to an item's testcase (a competition's medal), the way
record_property adds them, so they survive xdist."""

from __future__ import annotations

import pytest

from ..collect import RESULT_KEY
from .summary import item_view, shared


class JunitProperties:
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        result = item.stash.get(RESULT_KEY, None)
        if result is not None and call.when == "call":  # before the report copies user_properties
            view, known = item_view(result), {name for name, _ in item.user_properties}
            item.user_properties.extend((name, value) for properties, _ in shared("junit_properties")
                                        for name, value in properties(view) if name not in known)
        return (yield)
