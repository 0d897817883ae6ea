"""The agent registry: a broken config.yaml makes only its own agents unusable, and says where it is broken."""

import re

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


# An agents file written the way MLE-bench writes its own (anchors, merge keys, non-agent keys,
# paths relative to the agents folder, secrets in kwargs).
MLE_BENCH_STYLE = """vars:
  steps: &steps 50
  limit: &limit 3600

defaults: &defaults
  start: solver/start.sh
  dockerfile: solver/Dockerfile
  kwargs_type: omegaconf
  env_vars: &env_vars
    TIME_LIMIT_SECS: *limit
    STEP_LIMIT: *steps

kwargs_common: &kwargs_common
  agent.search.debug_prob: 1
  copy_data: False

solver:
  <<: *defaults
  kwargs:
    <<: *kwargs_common
    agent.steps: *steps
    agent.code.model: gpt-4o
  env_vars:
    <<: *env_vars
    OPENAI_API_KEY: ${{ secrets.SOLVER_KEY }}

solver/keyed:
  <<: *defaults
  kwargs:
    api_key: ${{ secrets.SOLVER_KEY }}
"""


@pytest.fixture
def mle_bench_dir(tmp_path):
    folder = tmp_path / "solver"
    folder.mkdir()
    (folder / "config.yaml").write_text(MLE_BENCH_STYLE)
    (folder / "start.sh").write_text("echo\n")
    (folder / "Dockerfile").write_text("FROM scratch\n")
    return tmp_path


def test_an_mle_bench_config_loads_as_its_registry_reads_it(mle_bench_dir):
    agent = get_agent(mle_bench_dir, "solver")
    assert agent.config.start == "start.sh" and agent.config.dockerfile == "Dockerfile"  # in the agent's folder
    env = agent.environment({"SOLVER_KEY": "sk-x"})
    assert env == {"TIME_LIMIT_SECS": "3600", "STEP_LIMIT": "50", "OPENAI_API_KEY": "sk-x"}
    assert agent.command({"SOLVER_KEY": "sk-x"}) == [
        "bash", "/home/agent/start.sh", "agent.search.debug_prob=1", "copy_data=False", "agent.steps=50",
        "agent.code.model=gpt-4o"]
    # `vars:`, `defaults:` and `kwargs_common:` hold the anchors the agents merge: they are not agents
    # (MLE-bench's registry would run `defaults`; here two files may both have one).
    for template in ("vars", "defaults", "kwargs_common"):
        with pytest.raises(AgentError) as e:
            get_agent(mle_bench_dir, template)
        assert "known agents: solver, solver/keyed" in str(e.value) and "not usable" not in str(e.value)


def test_an_anchored_agent_with_kwargs_stays_an_agent(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text(
        "a: &a\n  start: start.sh\n  kwargs: {steps: 5}\na/dev:\n  <<: *a\n  kwargs: {steps: 1}\n")
    assert get_agent(tmp_path, "a").config.kwargs == {"steps": 5}
    assert get_agent(tmp_path, "a/dev").config.kwargs == {"steps": 1}


def test_the_bundled_agents_have_the_seeds_ids_and_variants():
    from support import AGENTS

    aide = get_agent(AGENTS, "aide/dev")
    assert aide.folder == AGENTS / "aide" and aide.config.start == "start.sh"
    assert "agent.steps=8" in aide.command() and "agent.code.model=gpt-4o-2024-08-06" in aide.command()
    for agent_id in ("aide", "aide/o1-preview", "aide/gpt-4-turbo", "aide/claude-3-5-sonnet", "mini-swe-agent",
                     "mini-swe-agent/dev"):
        get_agent(AGENTS, agent_id).environment({})  # no provider secret: the gateway gives the token


def test_a_secret_in_kwargs_is_filled_and_a_missing_one_named(mle_bench_dir):
    agent = get_agent(mle_bench_dir, "solver/keyed")
    assert agent.secrets() == ["SOLVER_KEY"]
    assert agent.command({"SOLVER_KEY": "sk-y"})[-1] == "api_key=sk-y"
    with pytest.raises(AgentError, match=r"needs the secret\(s\) SOLVER_KEY \(.*config.yaml: kwargs\)"):
        agent.environment({})


def test_a_start_script_outside_the_agents_folder_is_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text("a:\n  start: ../b/start.sh\n")
    with pytest.raises(AgentError, match=r"a/config.yaml:1: field 'a.start': '../b/start.sh' is outside"):
        get_agent(tmp_path, "a")


def test_an_agent_built_from_a_checkout_names_the_variable_that_gives_it(tmp_path):
    from pytest_agentbench.agents import AgentSourceMissing

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text("a:\n  build_sources:\n    Project: PROJECT_SOURCE\n")
    (tmp_path / "checkout").mkdir()
    agent = get_agent(tmp_path, "a")
    assert agent.sources({"PROJECT_SOURCE": str(tmp_path / "checkout")}) == {"Project": tmp_path / "checkout"}
    with pytest.raises(AgentSourceMissing, match=r"set PROJECT_SOURCE=PATH to build it \(.*a/config.yaml: "
                                                 r"build_sources.Project\)"):
        agent.sources({})
    with pytest.raises(AgentError, match=r"PROJECT_SOURCE=/nowhere: not a folder"):
        agent.sources({"PROJECT_SOURCE": "/nowhere"})


@pytest.mark.parametrize("text, field", [
    ("a:\n  build_sources:\n    ../up: PROJECT_SOURCE\n", "a.build_sources.../up.[key]"),
    ("a:\n  build_sources:\n    Project: not a variable\n", "a.build_sources.Project"),
])
def test_a_build_source_must_be_a_folder_name_and_a_variable(tmp_path, text, field):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text(text)
    with pytest.raises(AgentError, match=re.escape(f"field '{field}'")):
        get_agent(tmp_path, "a")


def test_the_bundled_mlagentbench_is_built_from_the_checkout_mlagentbench_source_names():
    from support import AGENTS

    agent = get_agent(AGENTS, "mlagentbench/dev")
    assert agent.config.build_sources == {"MLAgentBench": "MLAGENTBENCH_SOURCE"}
    command = agent.command()
    assert command[command.index("--max-steps") + 1] == "8" and "--llm-name" in command
    get_agent(AGENTS, "mlagentbench").environment({})  # no provider secret: the gateway gives the token
