"""The egress proxy's rule: public addresses only, but for the item's own network and exact exceptions."""

from __future__ import annotations

import pytest

from pytest_agentbench.sandbox.egress_proxy import Policy


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.17.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "192.0.2.2", "0.0.0.0", "224.0.0.1", "::1", "fd00::2",
                                     "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"])
def test_the_proxy_refuses_every_address_that_is_not_public(address):
    assert not Policy([], []).allowed(address, 443)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1"])
def test_the_proxy_lets_public_addresses_through(address):
    assert Policy([], []).allowed(address, 443)


def test_the_items_network_and_exact_exceptions_are_let_through():
    policy = Policy(["172.30.0.0/16"], ["192.0.2.2:8080"])
    assert policy.allowed("172.30.0.5", 5000)
    assert policy.allowed("192.0.2.2", 8080)
    assert not policy.allowed("192.0.2.2", 8081)  # an exception is one port, not the host
    assert not policy.allowed("172.31.0.1", 5000)
