"""An agent that needs a newer Python builds on another Debian release: config.yaml's `debian_suite`,
taken from the host's own mirror; the seed's `opendevin` (OpenHands 1.x, Python 3.12+) asks for trixie."""

import pytest

from pytest_agentbench.agents import AgentError, get_agent
from pytest_agentbench.sandbox.images import DebianSource, host_debian_source, rootfs_tag


def test_a_suite_comes_from_the_mirror_the_host_uses(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENTBENCH_DEBIAN_MIRROR", raising=False)
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n")
    os_release = tmp_path / "os-release"
    os_release.write_text('VERSION_CODENAME=bookworm\n')
    host = host_debian_source([sources], os_release)
    trixie = host_debian_source([sources], os_release, suite="trixie")
    assert host == DebianSource("http://mirror.example/debian", "bookworm")
    assert trixie == DebianSource("http://mirror.example/debian", "trixie")
    assert rootfs_tag(host) != rootfs_tag(trixie)  # two root file systems, two images


def test_opendevin_builds_on_trixie_and_runs_unprivileged():
    from support import AGENTS

    for agent_id in ("opendevin", "opendevin/dev"):
        agent = get_agent(AGENTS, agent_id)
        assert agent.config.debian_suite == "trixie" and not agent.config.privileged
        agent.environment({})  # no provider secret: the gateway gives the token
    command = get_agent(AGENTS, "opendevin").command()
    assert command[:2] == ["bash", "/home/agent/start.sh"]
    # The seed's kwargs, as its config.yaml gives them.
    assert " ".join(command[2:]) == ("--agent CodeActAgent --model gpt-4o --max_time_in_hours 24 --shm_size 100G "
                                     "--max_steps 500")


def test_a_suite_that_is_not_a_codename_names_the_field(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text("a:\n  debian_suite: ../../etc\n")
    with pytest.raises(AgentError, match=r"a/config.yaml:1: field 'a.debian_suite': String should match pattern"):
        get_agent(tmp_path, "a")
