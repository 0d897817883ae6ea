"""--engines and --engines-file: what a user writes, and the clear error for what is wrong."""

from __future__ import annotations

import pytest

from pytest_agentbench.engines import EngineEntry, assign, from_options


def test_engines_from_a_comma_list_and_from_a_file(tmp_path):
    assert from_options("ssh://gpu1, unix:///var/run/docker.sock", None) == [
        EngineEntry("ssh://gpu1"), EngineEntry("unix:///var/run/docker.sock")]
    file = tmp_path / "engines.yaml"
    file.write_text("engines:\n  - address: ssh://gpu1\n    slots: 2\n    labels: {gpu: true}\n"
                    "  - address: build-box\n")
    first, second = from_options(None, str(file))
    assert (first.address, first.slots, first.gpu) == ("ssh://gpu1", 2, True)
    assert (second.address, second.slots, second.gpu) == ("build-box", None, False)
    assert from_options(None, None) == []


@pytest.mark.parametrize("text, expected", [
    ("engines: []\n", "non-empty list `engines:`"),
    ("engines:\n  - slots: 2\n", "engines[0]: expected a mapping with `address:`"),
    ("engines:\n  - address: a\n    slot: 2\n", "engines[0]: unknown key(s) slot"),
    ("engines:\n  - address: a\n  - address: b\n    slots: 0\n", "engines[1]: slots: got 0"),
    ("engines:\n  - address: a\n    labels: [gpu]\n", "engines[0]: labels: got ['gpu']"),
])
def test_a_bad_engines_file_names_the_entry_and_what_is_wrong(tmp_path, text, expected):
    file = tmp_path / "engines.yaml"
    file.write_text(text)
    with pytest.raises(pytest.UsageError, match=None) as e:
        from_options(None, str(file))
    assert expected in str(e.value) and str(file) in str(e.value)


def test_workers_are_dealt_in_turn_within_slots():
    a, b = EngineEntry("a", slots=1), EngineEntry("b", slots=3)
    assert [e.address for e in assign([a, b], 4)] == ["a", "b", "b", "b"]
    assert [e.address for e in assign([EngineEntry("a"), EngineEntry("b")], 3)] == ["a", "b", "a"]
    with pytest.raises(pytest.UsageError, match="-n 5: the engines have 4 slot"):
        assign([a, b], 5)
