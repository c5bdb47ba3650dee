"""Whose address a request has, behind Nginx (cachekeys.clients)."""
from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.conf import settings

from cachekeys.clients import address_in, client_address, real_address


@pytest.mark.parametrize(
    ("remote", "real_ip", "trusted", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", (), "203.0.113.7"),  # the local Nginx names the client
        ("::1", "2001:db8::5", (), "2001:db8::5"),
        ("10.0.0.5", "203.0.113.7", ("10.0.0.0/24",), "203.0.113.7"),  # an Nginx front
        ("10.0.1.5", "203.0.113.7", ("10.0.0.0/24",), "10.0.1.5"),  # anyone else: their own
        ("198.51.100.4", "127.0.0.1", (), "198.51.100.4"),  # cannot pose as loopback
        ("127.0.0.1", "not an address", (), "127.0.0.1"),
        ("127.0.0.1", None, (), "127.0.0.1"),
        ("::ffff:198.51.100.4", None, (), "198.51.100.4"),  # one client, one spelling
        ("127.0.0.1", "::ffff:203.0.113.7", (), "203.0.113.7"),
    ],
)
def test_real_address(remote, real_ip, trusted, expected):
    assert real_address(remote, real_ip, trusted) == expected


def test_address_in_knows_loopback_networks_and_versions():
    assert address_in("127.0.0.3", ()) and address_in("::1", ())
    assert address_in("10.1.2.3", ("10.0.0.0/8",)) and not address_in("11.1.2.3", ("10.0.0.0/8",))
    assert not address_in("2001:db8::1", ("10.0.0.0/8",)) and not address_in("junk", ("10.0.0.0/8",))


def test_client_address_reads_the_trusted_proxies_setting():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="203.0.113.7")
    assert client_address(request) == "10.0.0.5"
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "TRUSTED_PROXIES": ["10.0.0.5"]}):
        assert client_address(request) == "203.0.113.7"
