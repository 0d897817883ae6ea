"""The agent registry: a broken config.yaml makes only its own agents unusable, and says where it is broken."""

import pytest

from pytest_agentbench.agents import AgentError, get_agent


@pytest.fixture
def agents_dir(tmp_path):
    def write(folder, text):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "config.yaml").write_text(text)

    write("good", "good:\n  start: start.sh\n")
    write("yaml", "first:\n  start: start.sh\n  kwargs: {a: 1\nsecond:\n  start: run.sh\n")
    write("fields", "wrong:\n  start: start.sh\n  colour: blue\nright:\n  kwargs_type: omegaconf\n")
    return tmp_path


def test_agents_beside_a_broken_file_are_usable(agents_dir):
    assert get_agent(agents_dir, "good").folder == agents_dir / "good"
    assert get_agent(agents_dir, "right").config.kwargs_type == "omegaconf"  # its file's other agent is fine


@pytest.mark.parametrize("agent_id, message", [
    ("first", "yaml/config.yaml:4: not valid YAML"),  # every agent of a file that does not parse
    ("second", "yaml/config.yaml:4: not valid YAML"),
    ("wrong", "fields/config.yaml:1: field 'wrong.colour': Extra inputs are not permitted"),
])
def test_asking_for_a_broken_agent_names_its_file_and_line(agents_dir, agent_id, message):
    with pytest.raises(AgentError, match=message):
        get_agent(agents_dir, agent_id)


def test_an_unknown_agent_lists_the_usable_ones_and_the_broken_files(agents_dir):
    with pytest.raises(AgentError) as e:
        get_agent(agents_dir, "nosuch")
    assert "known agents: good, right" in str(e.value)
    assert "yaml/config.yaml:4" in str(e.value) and "fields/config.yaml:1" in str(e.value)
