"""Task specs: valid ones load; broken ones name the file, the field and what was expected."""

from pathlib import Path

import pytest

from pytest_agentbench.spec import SpecError, load_spec, load_split

GOOD = """\
id: hello
category: smoke
difficulty: easy
markers: [fast]
time_limit: 30
files:
  - {src: public, dest: /home/data}
grader: grade.py:grade
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hello" / "task.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_valid_spec_loads_with_its_fields(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert (spec.id, spec.kind, spec.time_limit) == ("hello", "task", 30)
    assert spec.details.files[0].dest == "/home/data"
    assert spec.marker_names() == ["fast", "task", "smoke", "easy"]  # declared, kind, category, difficulty
    assert spec.folder == tmp_path / "hello"


def test_markers_go_by_the_names_the_reports_show_and_difficulty_has_one_vocabulary(tmp_path):
    spec = load_spec(write(tmp_path, GOOD.replace("category: smoke", "category: tabular-classification")
                           .replace("difficulty: easy", "difficulty: high")))
    assert spec.difficulty == "hard"  # MLE-bench's "high", in the words every family uses
    assert {"tabular-classification", "tabular_classification", "hard"} <= set(spec.marker_names())


def test_a_difficulty_outside_the_vocabulary_names_the_field_and_the_words(tmp_path):
    with pytest.raises(SpecError, match="field 'difficulty': expected one of .'easy', 'medium', 'hard'.*got 'tricky'"):
        load_spec(write(tmp_path, GOOD.replace("difficulty: easy", "difficulty: tricky")))


@pytest.mark.parametrize("text, field, expected", [
    (GOOD.replace("time_limit: 30", "time_limit: soon"), "time_limit", "valid integer"),
    (GOOD.replace("time_limit: 30", "time_limit: -5"), "time_limit", "greater than 0"),
    (GOOD.replace("grader: grade.py:grade\n", ""), "grader", "missing"),
    (GOOD + "colour: blue\n", "colour", "unknown key; expected one of"),
    (GOOD.replace("id: hello", "id: 'has space'"), "id", "pattern"),
    (GOOD.replace("dest: /home/data", "dest: home/data"), "files.0.dest", "pattern"),
    (GOOD + "kind: nonsense\n", "kind", "unknown kind 'nonsense'"),
    (GOOD + "agent_user: admin\n", "agent_user", "'root' or 'nonroot'"),
])
def test_a_broken_field_is_named_with_what_was_expected(tmp_path, text, field, expected):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert e.value.field == field
    assert str(path) in str(e.value) and expected in str(e.value)


def test_a_yaml_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "id: hello\nfiles: [unclosed\ngrader: x.py:y\n")
    with pytest.raises(SpecError, match="not valid YAML") as e:
        load_spec(path)
    assert e.value.line is not None and f"{path}:{e.value.line}" in str(e.value)


def test_a_spec_that_is_not_a_mapping_is_refused(tmp_path):
    with pytest.raises(SpecError, match="expected a mapping"):
        load_spec(write(tmp_path, "- just\n- a list\n"))


def test_unknown_key_error_points_at_its_line(tmp_path):
    path = write(tmp_path, GOOD + "colour: blue\n")
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert e.value.line == GOOD.count("\n") + 1


def test_split_files_take_one_id_a_line_with_comments(tmp_path):
    split = tmp_path / "lite.txt"
    split.write_text("# the lite split\nalpha\n\n beta  # trailing comment\n")
    assert load_split(split) == {"alpha", "beta"}


def test_the_agent_s_user_is_the_task_s_else_its_kind_s(tmp_path):
    """MLE-bench runs its agent as a non-root user, TheAgentCompany as root; a task may say otherwise."""
    from pytest_agentbench import families
    from pytest_agentbench.families.base import TaskContext
    from pytest_agentbench.fixtures import agent_user_of

    def user(text: str) -> str:
        return agent_user_of(TaskContext(spec=load_spec(write(tmp_path, text)), agent=None, item_dir=tmp_path,
                                         engine=None))

    assert user(GOOD) == "nonroot"
    assert user(GOOD + "agent_user: root\n") == "root"
    assert families.get("workplace").agent_user == "root"
    assert families.get("competition").agent_user == families.get("mlebench").agent_user == "nonroot"
