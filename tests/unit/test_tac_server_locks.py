"""The lock per TheAgentCompany server (families/workplace/tac_servers.py): an item holds every server
it names, on its host, until it releases them; other servers and other hosts stay free."""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path

import pytest

from pytest_agentbench.families.workplace.tac_servers import ServerLocks, no_proxy


def free(host: str, server: str) -> bool:
    """Whether another process could take that server's lock now (a non-blocking try, let go at once)."""
    path = Path(tempfile.gettempdir()) / "agentbench-tac-servers" / f"{host}-{server}.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def host(tmp_path) -> str:
    return f"tac-test-{tmp_path.name}"  # a host of this test's own: no other test's locks


def test_an_item_holds_each_server_it_names_until_released(host):
    locks = ServerLocks(host, ["rocketchat", "GitLab", "rocketchat"])
    assert locks.servers == ["gitlab", "rocketchat"]  # sorted, once each, as dependencies.yml may repeat them
    locks.acquire()
    assert not free(host, "gitlab") and not free(host, "rocketchat")
    assert free(host, "owncloud")  # a server the item does not name
    assert free(f"other-{host}", "gitlab")  # the same server name on another host
    locks.release()
    assert free(host, "gitlab") and free(host, "rocketchat")


def test_tac_name_joins_no_proxy_once():
    assert no_proxy(None) == "localhost,127.0.0.1,::1,the-agent-company.com"
    assert no_proxy("a,the-agent-company.com") == "a,the-agent-company.com"
