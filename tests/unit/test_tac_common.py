"""The evaluator helpers: the grader decorator, LLM-judged checks, trajectory search, workspace files."""

import json
import logging
import zipfile

import pytest

from pytest_agentbench.families.workplace.tac import common, judge
from pytest_agentbench.families.workplace.tac.common import (
    evaluate_conversation_with_llm,
    evaluate_with_llm,
    grader,
    parse_number,
    ran_command,
    read_csv_dicts,
    read_docx_text,
    read_text,
    says_yes,
    trajectory_commands,
    trajectory_contains,
    trajectory_matches,
    trajectory_steps,
)

# --- grader ------------------------------------------------------------------------------------


def test_grader_turns_an_exception_into_false_and_logs_it(caplog):
    @grader
    def grade_checkpoint1():
        raise FileNotFoundError("/workspace/answer.txt")

    with caplog.at_level(logging.ERROR, logger="tac"):
        assert grade_checkpoint1() is False
    assert "grade_checkpoint1" in caplog.text and "answer.txt" in caplog.text


def test_grader_turns_none_into_false_and_logs_it(caplog):
    @grader
    def grade_checkpoint2():
        return None

    with caplog.at_level(logging.WARNING, logger="tac"):
        assert grade_checkpoint2() is False
    assert "grade_checkpoint2 returned None" in caplog.text


def test_grader_passes_results_through_unchanged():
    assert grader(lambda: 2)() == 2           # partial points
    assert grader(lambda: True)() is True
    assert grader(lambda x, y=0: x + y)(1, y=2) == 3


def test_grader_fails_a_checkpoint_without_its_judge_and_notes_why(no_judge_env, monkeypatch):
    monkeypatch.setattr(common, "judge_unavailable", [])

    @grader
    def grade_checkpoint3():
        return evaluate_with_llm("a memo", "a polite memo")

    assert grade_checkpoint3() is False
    [(name, why)] = common.judge_unavailable
    assert name == "grade_checkpoint3" and "LITELLM_MODEL" in why


# --- LLM-judged checks -------------------------------------------------------------------------

class JudgeStub(list):
    """The prompts sent to the judge, in order; ``reply`` is what it answers."""
    reply = "Yes."


@pytest.fixture
def judge_answers(monkeypatch):
    """A configured judge whose call is replaced by a JudgeStub (the real call is in test_judge.py)."""
    monkeypatch.setenv("LITELLM_API_KEY", "k")
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LITELLM_MODEL", "gpt-4o")
    stub = JudgeStub()

    def fake_complete(messages):
        stub.append(messages[-1]["content"])
        return {"choices": [{"message": {"role": "assistant", "content": stub.reply}}]}

    monkeypatch.setattr(judge, "llm_complete", fake_complete)
    return stub


def test_evaluate_with_llm_fences_the_content_apart_from_the_question(judge_answers):
    assert evaluate_with_llm("Dear Dana, thank you.", "a polite email", "Ignore the signature.") is True
    (prompt,) = judge_answers
    question, fenced = prompt.split("<content>")
    assert "a polite email" in question and "Ignore the signature." in question
    assert fenced.split("</content>")[0].strip() == "Dear Dana, thank you."


def test_evaluate_with_llm_is_false_when_the_judge_says_no(judge_answers):
    judge_answers.reply = "No, it is rude."
    assert evaluate_with_llm("Go away.", "a polite email") is False


def test_evaluate_with_llm_does_not_send_empty_content(judge_answers):
    assert evaluate_with_llm("  \n", "a polite email") is False
    assert judge_answers == []


def test_evaluate_with_llm_needs_a_configured_judge_even_for_empty_content(no_judge_env):
    with pytest.raises(judge.JudgeNotConfigured):
        evaluate_with_llm("", "a polite email")


def test_evaluate_conversation_renders_each_message_with_its_author(judge_answers):
    history = [
        {"msg": "Can you send the report?", "u": {"username": "sarah"}},   # RocketChat
        {"role": "assistant", "content": "Sent it to #finance."},             # OpenAI-style
        {"text": "Thanks!", "author": "sarah"},
        "plain line",
    ]
    assert evaluate_conversation_with_llm(history, "the report was sent") is True
    assert "sarah: Can you send the report?\nassistant: Sent it to #finance.\nsarah: Thanks!\nplain line" \
        in judge_answers[0]


def test_evaluate_conversation_with_no_messages_is_false_without_asking(judge_answers):
    assert evaluate_conversation_with_llm([], "anything") is False
    assert judge_answers == []


@pytest.mark.parametrize("answer, verdict", [
    ("yes", True), ("Yes.", True), ("YES, it does.", True), ("**Yes**", True),
    ("no", False), ("No, not yes-like at all.", False), ("", False),
    ("The answer is yes.", True), ("I cannot say yes or no.", False), ("eyes", False),
])
def test_says_yes(answer, verdict):
    assert says_yes(answer) is verdict


# --- the trajectory ----------------------------------------------------------------------------

TRAJECTORY = "\n".join([
    json.dumps({"step": 1, "kind": "exec", "command": 'grep -n "total" /workspace/data.csv',
                "output": "3:total,42\n", "exit_code": 0}),
    json.dumps({"step": 2, "kind": "message", "role": "assistant", "content": "The total is 42."}),
    json.dumps({"step": 3, "kind": "exec", "command": "python3 -m unittest -v",
                "output": "test_a ... ok\n\n----\nRan 1 test in 0.001s\n\nOK\n"}),
    "a line that is not JSON: visited http://the-agent-company.com:8929",
])


def test_trajectory_search_reads_decoded_steps_and_plain_lines():
    assert trajectory_contains(TRAJECTORY, 'grep -n "total"')            # quotes as typed, not \"
    assert trajectory_contains(TRAJECTORY, "the total is 42", ignore_case=True)
    assert not trajectory_contains(TRAJECTORY, "the total is 42")
    assert trajectory_contains(TRAJECTORY, "the-agent-company.com:8929")
    assert trajectory_matches(TRAJECTORY, r"Ran \d+ tests? in [\d.]+s\s+OK")
    assert not trajectory_contains("", "anything")


def test_trajectory_commands_are_the_exec_steps_in_order():
    assert len(trajectory_steps(TRAJECTORY)) == 3
    assert trajectory_commands(TRAJECTORY) == ['grep -n "total" /workspace/data.csv', "python3 -m unittest -v"]
    assert ran_command(TRAJECTORY, r"\bunittest\b")
    assert not ran_command(TRAJECTORY, r"pytest")
    assert not ran_command(TRAJECTORY, r"The total")   # a message is not a command


# --- workspace files ---------------------------------------------------------------------------

def test_read_text_gives_the_default_for_a_missing_file(tmp_path):
    (tmp_path / "a.txt").write_text("héllo")
    assert read_text(tmp_path / "a.txt") == "héllo"
    assert read_text(tmp_path / "missing.txt") == ""
    assert read_text(tmp_path / "missing.txt", default=None) is None


def test_read_csv_dicts_strips_headers_cells_and_bom(tmp_path):
    (tmp_path / "t.csv").write_text("\ufeffregion , revenue\n North , 10.5\n", encoding="utf-8")
    assert read_csv_dicts(tmp_path / "t.csv") == [{"region": "North", "revenue": "10.5"}]


def test_read_docx_text_gives_one_paragraph_a_line(tmp_path):
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = (f'<w:document xmlns:w="{w}"><w:body>'
            '<w:p><w:r><w:t>Quarterly </w:t></w:r><w:r><w:t>report</w:t></w:r></w:p>'
            '<w:p><w:r><w:t>Revenue grew.</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(tmp_path / "r.docx", "w") as z:
        z.writestr("word/document.xml", body)
    assert read_docx_text(tmp_path / "r.docx") == "Quarterly report\nRevenue grew."


def test_read_xlsx_rows(tmp_path):
    import openpyxl  # a test dependency, so this helper is checked in CI
    book = openpyxl.Workbook()
    book.active.append(["region", "revenue"])
    book.active.append(["North", 10.5])
    book.save(tmp_path / "t.xlsx")
    assert common.read_xlsx_rows(tmp_path / "t.xlsx") == [["region", "revenue"], ["North", 10.5]]


@pytest.mark.parametrize("text, number", [
    ("2028.08\n", 2028.08), ("Total: $1,234.50", 1234.5), ("-3.8%", -3.8), ("none", None), ("", None),
])
def test_parse_number(text, number):
    assert parse_number(text) == number




# --- TAC's judge helpers: images, and a chat history fetched from RocketChat ------------------------

def test_evaluate_with_llm_sends_the_image_as_a_data_url_beside_the_question(judge_answers, tmp_path):
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG fake pixels")
    assert evaluate_with_llm(None, "a pie chart", image_path=str(image), image_type=common.IMAGE_PNG) is True
    (content,) = judge_answers
    text, picture = content
    assert text["type"] == "text" and "picture" in text["text"] and "a pie chart" in text["text"]
    assert "<content>" not in text["text"]  # no text content: only the picture is judged
    assert picture == {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORyBmYWtlIHBpeGVscw=="}}


@pytest.mark.parametrize("image_type, exists", [("image/gif", True), (common.IMAGE_JPEG, False)])
def test_evaluate_with_llm_is_false_without_asking_for_another_image_type_or_a_missing_image(
        judge_answers, tmp_path, image_type, exists):
    image = tmp_path / "x.img"
    if exists:
        image.write_bytes(b"GIF89a")
    assert evaluate_with_llm("", "a chart", image_path=str(image), image_type=image_type) is False
    assert judge_answers == []


class _Chat:
    """A RocketChat client's two calls that the history needs, answering as RocketChat does (newest first)."""

    class _Reply(dict):
        def json(self):
            return self

    def users_list(self):
        return self._Reply(users=[{"_id": "u1", "username": "li_ming", "nameInsensitive": "li ming"}])

    def im_history(self, room_id):
        return self._Reply(messages=[{"msg": "Done, sent."}, {"msg": "Please send the report"}] if room_id == "u1" else [])


def test_evaluate_chat_history_with_llm_takes_tacs_arguments_by_keyword(judge_answers):
    assert common.evaluate_chat_history_with_llm(rocket_client=_Chat(), username="Li Ming",
                                                 predicate="the report was sent") is True
    (prompt,) = judge_answers
    assert "['Please send the report', 'Done, sent.']" in prompt  # oldest first, as TAC sends it


def test_evaluate_chat_history_with_llm_is_false_without_asking_when_they_never_talked(judge_answers):
    assert common.evaluate_chat_history_with_llm(_Chat(), "sarah", "anything") is False
    assert judge_answers == []
