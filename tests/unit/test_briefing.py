"""What an agent is told beside its task: its time limit in words and its hardware, from the container
config in force (the seed's agents put both in their prompts)."""

from pytest_agentbench.briefing import agent_briefing, hardware_words, time_limit_words
from pytest_agentbench.sandbox.base import ContainerConfig


def test_the_time_limit_in_words():
    assert time_limit_words(86400) == "24 hours"
    assert time_limit_words(5400) == "1 hour 30 minutes"
    assert time_limit_words(61) == "1 minute 1 second"
    assert time_limit_words(0) == "0 seconds"


def test_the_hardware_from_the_container_config():
    assert hardware_words(ContainerConfig(nano_cpus=2e9, mem_limit="4g")) == "a CPU with 2 cores and 4.0 GB of memory"
    assert hardware_words(ContainerConfig(nano_cpus=5e8)) == "a CPU with 0.5 cores"
    assert hardware_words(ContainerConfig(gpus=2, nano_cpus=1e9)) == "2 GPU(s) and a CPU with 1 core"
    assert hardware_words(ContainerConfig()) == "a CPU"
    assert agent_briefing(900, ContainerConfig(mem_limit=2**30)) == {
        "TIME_LIMIT": "15 minutes", "HARDWARE": "a CPU with 1.0 GB of memory"}
