"""The evaluator helpers that read an answer as a reviewer does, and say what they expected and found."""

import datetime as dt
import json
import logging
import sys

import pytest

from pytest_agentbench.families.workplace.tac import common
from pytest_agentbench.families.workplace.tac.common import (
    AnswerError,
    effective_argv,
    find_dates,
    grader,
    list_items,
    mentions,
    mentions_date,
    mentions_time,
    names_listed,
    program_read_file,
    ran_program,
    read_json,
    read_table,
    same_items,
    same_name,
    same_number,
    same_order,
    to_number,
)

# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, number", [
    ("14079", 14079), ("14,079.00", 14079), ("$14,079.00", 14079), ("14 079,00".replace(",", "."), 14079),
    ("1,240,800.00", 1240800), ("1\u202f240\u202f800", 1240800), ("-6,840.00", -6840), ("\u22126840", -6840),
    ("(6,840.00)", -6840), ("-$6,840", -6840), ("+12.7", 12.7), ("12.7%", 12.7), ("12.7 %", 12.7), ("5.0", 5),
    ("USD 2,028.08", 2028.08), ("2028.08 dollars", 2028.08), (".5", 0.5), (7, 7), (2.5, 2.5),
])
def test_to_number_reads_the_usual_ways_of_writing_a_number(text, number):
    assert to_number(text) == number


@pytest.mark.parametrize("text", ["", "n/a", "12.7 and 3", "1,2,3", "14,07", "Total: 2028.08", True, None])
def test_to_number_is_none_for_what_is_not_one_number(text):
    assert to_number(text) is None


def test_same_number_logs_what_it_expected_and_found(caplog):
    with caplog.at_level(logging.INFO, logger="tac"):
        assert same_number("$14,079.00", 14079.0, 0.01)
        assert not same_number("14,079.50", 14079.0, 0.01, what="revenue of South")
    assert caplog.messages == ["revenue of South: expected 14079.0, found '14,079.50'"]


# --- words, names, lists -----------------------------------------------------------------------

def test_names_compare_without_case_accents_punctuation_or_honorifics():
    assert same_name("Mr. Tomas ORTEGA", "Tomás Ortega")
    assert same_name("finn o’connor", "Finn O'Connor")
    assert not same_name("Tomás", "Tomás Ortega")


def test_mentions_finds_whole_words_only(caplog):
    assert mentions("Dear Ms Whitfield,", "Dana", "Whitfield")
    assert mentions("bring a photo-ID", "photo ID")
    with caplog.at_level(logging.INFO, logger="tac"):
        assert not mentions("a good idea", "ID", what="no ID asked for")
    assert caplog.messages == ["no ID asked for: none of 'ID'"]


def test_list_items_drop_bullets_numbering_emphasis_and_titles():
    text = "Over budget:\n# Departments\n\n1. **Facilities**\n2) Marketing\n- Sales\n* [x] People\n• Finance\nPlain\n"
    assert list_items(text) == ["Facilities", "Marketing", "Sales", "People", "Finance", "Plain"]


def test_names_listed_keeps_the_known_names_each_item_gives():
    text = "Employees over allowance:\n1. Mr Bruno Costa (2 days over)\n- ms elif demir\nnone else\n"
    assert names_listed(text, ["Bruno Costa", "Elif Demir", "Finn O'Connor"]) == ["Bruno Costa", "Elif Demir"]


def test_same_items_and_same_order_say_what_differs(caplog):
    with caplog.at_level(logging.INFO, logger="tac"):
        assert same_items(["b", "a"], ["a", "b"])
        assert not same_items(["a", "c"], ["a", "b"], what="departments")
        assert not same_order(["a", "c", "b"], ["a", "b", "c"], what="sorted")
    assert caplog.messages == ["departments: expected ['a', 'b']; missing ['b'], extra ['c']",
                               "sorted: differs at position 2: expected ['b', 'c'], found ['c', 'b']"]


# --- dates and times ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Monday, 3 March 2025", "3rd of March", "March 3rd, 2025", "Mar 3 2025",
                                  "2025-03-03", "2025/03/03", "03/03/2025", "3.3.2025", "on 3 March at 9:30"])
def test_a_date_in_any_usual_format(text):
    assert mentions_date(text, "2025-03-03")


@pytest.mark.parametrize("text", ["3 March 2026", "4 March 2025", "2026-03-03", "Monday, 3 March 2026",
                                  "March 2025", ""])
def test_a_date_with_another_year_or_day_is_not_it(text):
    assert not mentions_date(text, "2025-03-03")


def test_an_ambiguous_numeric_date_counts_both_ways_and_an_unambiguous_one_once():
    assert sorted(find_dates("04/03/2025")) == [(2025, 3, 4), (2025, 4, 3)]
    assert find_dates("13/03/2025") == [(2025, 3, 13)]


@pytest.mark.parametrize("text, ok", [("9:30", True), ("09:30", True), ("9.30 am", True), ("9:30 a.m.", True),
                                      ("9h30", True), ("half past nine", True), ("Half past nine in the morning", True),
                                      ("9:30 pm", False), ("half past nine in the evening", False), ("10:30", False),
                                      ("at 9", False)])
def test_a_clock_time_in_any_usual_format(text, ok):
    assert mentions_time(text, "09:30") is ok


def test_date_and_time_checks_log_what_they_found(caplog):
    with caplog.at_level(logging.INFO, logger="tac"):
        mentions_date("See you on 3 March 2026", dt.date(2025, 3, 3), what="start date")
        mentions_time("arrive at 10:30", "09:30", what="arrival time")
    assert caplog.messages == ["start date: expected '2025-03-03', found ['2026-03-03']",
                               "arrival time: expected '09:30', found ['10:30']"]


# --- tables and JSON ---------------------------------------------------------------------------

COLUMNS = ["region", "revenue"]


@pytest.mark.parametrize("content", [
    "region,revenue\nSouth,14079.00\n",
    "\ufeff\"region\",\"revenue\"\r\n\"South\",\"14079.00\"\r\n",
    "Region , Revenue\n South , 14079.00 \n\n",
    "region;revenue\nSouth;14079.00\n",
    "region\trevenue\nSouth\t14079.00\n",
    "revenue,region,note\n14079.00,South,top\n",
    "South,14079.00\n",
])
def test_read_table_takes_any_quoting_line_ending_header_case_delimiter_or_no_header(tmp_path, content):
    (tmp_path / "t.csv").write_bytes(content.encode())
    assert read_table(tmp_path / "t.csv", COLUMNS) == [{"region": "South", "revenue": "14079.00"}]


def test_read_table_names_what_is_missing(tmp_path):
    with pytest.raises(AnswerError, match="t.csv does not exist"):
        read_table(tmp_path / "t.csv", COLUMNS)
    (tmp_path / "t.csv").write_text("region,total\nSouth,1\n")
    with pytest.raises(AnswerError, match=r"t.csv has no column revenue \(its header: region,total\)"):
        read_table(tmp_path / "t.csv", COLUMNS)
    (tmp_path / "t.csv").write_text("South\n")
    with pytest.raises(AnswerError, match="expected the columns region,revenue, found South"):
        read_table(tmp_path / "t.csv", COLUMNS)


def test_read_json_says_where_it_is_not_json(tmp_path):
    (tmp_path / "a.json").write_text("[1, 2,]")
    with pytest.raises(AnswerError, match=r"a.json is not valid JSON: .*line 1"):
        read_json(tmp_path / "a.json")


def test_grader_shows_an_unreadable_answer_as_the_reason_without_a_traceback(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(common, "checkpoint_notes", {})

    @grader
    def grade_checkpoint2():
        return read_table(tmp_path / "missing.csv", COLUMNS)

    with caplog.at_level(logging.INFO):
        assert grade_checkpoint2() is False
    assert common.checkpoint_notes["grade_checkpoint2"] == [f"{tmp_path / 'missing.csv'} does not exist"]
    assert "Traceback" not in caplog.text


# --- what the agent's programs did ---------------------------------------------------------------

def trajectory(*programs, printed=""):
    """A start step that printed ``printed``, and the programs it ran as (command line, exit code)."""
    steps = [{"step": 1, "kind": "exec", "command": "bash /home/agent/start.sh", "exit_code": 0, "output": printed}]
    steps += [{"step": i, "kind": "exec", "command": command, "exit_code": code, "output": "", "parent": 1}
              for i, (command, code) in enumerate(programs, 2)]
    return "\n".join(json.dumps(s) for s in steps) + "\n"


TEST_RUN = r"(\S*/)?python[\d.]*( -\S+)* -m (unittest|pytest)\b"


def test_a_test_run_is_a_program_that_exited_0_not_printed_text():
    assert ran_program(trajectory(("python3 -m unittest -v", 0)), TEST_RUN)
    assert ran_program(trajectory(("timeout 60 env A=1 /usr/bin/python3 -m pytest -q", 0)), TEST_RUN)
    assert ran_program(trajectory(("bash -c 'python3 -m unittest'", 0)), TEST_RUN)
    assert not ran_program(trajectory(("python3 -m unittest -v", 1)), TEST_RUN)
    assert not ran_program(trajectory(printed="Ran 3 tests in 0.001s\n\nOK\n"), TEST_RUN)
    assert not ran_program(trajectory(("echo python3 -m unittest", 0)), TEST_RUN)
    assert not ran_program(trajectory(("python3 -c \"print('Ran 3 tests in 0.001s OK')\"", 0)), TEST_RUN)
    # The agent's own start command is the harness's step, not a program it ran.
    start_only = json.dumps({"step": 1, "kind": "exec", "command": "python3 -m unittest", "exit_code": 0})
    assert not ran_program(start_only, TEST_RUN)


def test_reading_a_file_is_a_program_that_named_it_and_exited_0():
    assert program_read_file(trajectory(("head -3 /workspace/sales_2024.csv", 0)), "sales_2024.csv")
    assert program_read_file(trajectory(("python3 revenue.py sales_2024.csv", 0)), "sales_2024.csv")
    assert not program_read_file(trajectory(("cat /workspace/sales_2024.csv", 1)), "sales_2024.csv")
    assert not program_read_file(trajectory(("ls -l /workspace/sales_2024.csv", 0)), "sales_2024.csv")
    assert not program_read_file(trajectory(("echo order_id,region sales_2024.csv", 0)), "sales_2024.csv")
    assert not program_read_file(trajectory(printed="order_id,order_date,region\n"), "sales_2024.csv")


def test_effective_argv_unwraps_wrappers_and_simple_shell_scripts():
    assert effective_argv(["env", "A=1", "nice", "-n", "5", "cat", "f"]) == ["cat", "f"]
    assert effective_argv(["sh", "-c", "head -3 f.csv"]) == ["head", "-3", "f.csv"]
    assert effective_argv(["bash", "-c", "cd x && cat f"]) is None  # its programs are steps of their own


def test_program_checks_log_what_was_run(caplog):
    with caplog.at_level(logging.INFO, logger="tac"):
        ran_program(trajectory(("python3 -m unittest", 1)), TEST_RUN, what="no passing test run")
        program_read_file(trajectory(), "sales.csv", what="the data was not looked at")
    assert caplog.messages == [
        f"no passing test run: no program the agent ran matches {TEST_RUN!r} with exit status 0; "
        "ran python3 -m unittest (exit 1)",
        "the data was not looked at: no program the agent ran read sales.csv (named it and exited 0)",
    ]


def test_the_helpers_run_with_the_standard_library_only():
    """common and the modules it imports also run in the grader container, without this project's
    dependencies (beside them: judge, answers, channel, config, servers; requests and rocketchat_API are
    the grader image's, imported by the helpers that need them)."""
    import ast
    from pathlib import Path

    for module in ("common.py", "answers.py", "servers.py", "config.py"):
        tree = ast.parse((Path(common.__file__).parent / module).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert imported - sys.stdlib_module_names - {"judge", "answers", "channel", "config", "servers",
                                                         "openpyxl", "requests", "rocketchat_API"} == set(), module
