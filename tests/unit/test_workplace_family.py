"""What the workplace family reads from a task folder besides its evaluator: checkpoint naming, dependencies.yml."""

import pytest


def test_the_checkpoints_a_function_graded_are_found_by_tac_naming():
    from pytest_agentbench.families.workplace.family import checkpoint_indexes

    assert checkpoint_indexes(["grade_checkpoint3", "grade_checkpoint_1"], 4) == [0, 2]
    assert checkpoint_indexes(["grade_final_checkpoint"], 3) == [2]
    assert checkpoint_indexes(["check_tone", "grade_checkpoint9"], 3) == []  # unknown: the item says so


def test_dependencies_are_a_list_of_service_names_or_a_clear_error(tmp_path):
    from pytest_agentbench.families.workplace.family import dependencies
    from pytest_agentbench.spec import SpecError

    deps = tmp_path / "dependencies.yml"
    assert dependencies(tmp_path) == []  # none declared
    deps.write_text("")
    assert dependencies(tmp_path) == []
    deps.write_text("- gitlab\n- rocketchat\n")
    assert dependencies(tmp_path) == ["gitlab", "rocketchat"]
    deps.write_text("gitlab\n")  # one name, not a list: the task must not run as if it needed nothing
    with pytest.raises(SpecError, match=r"dependencies.yml: expected a list of service names.*'gitlab'"):
        dependencies(tmp_path)
    deps.write_text("[gitlab\n")
    with pytest.raises(SpecError, match=r"dependencies.yml:2: not valid YAML"):
        dependencies(tmp_path)


def test_a_tac_image_task_needs_only_its_task_yaml_and_a_well_formed_image(tmp_path):
    from pytest_agentbench.spec import SpecError, load_spec

    spec = tmp_path / "task.yaml"  # no task.md, no evaluator: the image holds both
    spec.write_text("kind: workplace\nid: sde-install-go\nimage: ghcr.io/theagentcompany/sde-install-go-image:1.0.0\n")
    assert load_spec(spec).details.image == "ghcr.io/theagentcompany/sde-install-go-image:1.0.0"
    spec.write_text("kind: workplace\nid: x\nimage: localhost:5000/tac/x-image@sha256:" + "a" * 64 + "\n")
    assert load_spec(spec).details.image.startswith("localhost:5000/")
    spec.write_text("kind: workplace\nid: x\nimage: 'ghcr.io/Tac Images/x:1.0.0'\n")
    with pytest.raises(SpecError, match=r"task.yaml:3.*image"):
        load_spec(spec)
    spec.write_text("kind: workplace\nid: x\n")  # without an image, the folder's files are required again
    with pytest.raises(SpecError, match=r"needs its instruction in .*task.md"):
        load_spec(spec)
