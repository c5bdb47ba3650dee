"""The middleware against a real memcached, with requests shaped as Nginx sends them."""
from __future__ import annotations

import gzip
import random

import pytest
from django.conf import settings
from django.test import Client, override_settings

from cachekeys.keys import page_key
from cachekeys.deletes import grace_key
from cachekeys.store import expiry, get_pool
from cachekeys.value import unpack

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_at(memcached):
    with override_settings(ROOT_URLCONF="tests.cachekeys.urls",
                           CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [memcached.address]}):
        yield memcached


def via_nginx(uri: str, host: str = "site.test", client: Client | None = None, **extra):
    """GET ``uri`` with the headers Nginx's @miss location adds."""
    client = client or Client()
    return client.get(uri, HTTP_HOST=host, HTTP_X_CACHE_KEY=page_key(host, uri),
                      HTTP_X_REQUEST_URI=uri, **extra)


class TestStores:
    def test_a_plain_page_is_stored_gzipped_with_the_flag(self, cache_at):
        response = via_nginx("/page/")
        assert response["X-Cache"] == "MISS"
        client = get_pool()._client(cache_at.address)
        stored = unpack(client.get(page_key("site.test", "/page/")))
        assert gzip.decompress(stored.body) == response.content
        raw = client.raw_command(b"mg " + page_key("site.test", "/page/").encode() + b" f", b"\r\n")
        assert raw.split()[1] == b"f1"  # memcached_gzip_flag 1

    def test_the_value_carries_the_status_and_the_headers_a_hit_repeats(self, cache_at):
        response = via_nginx("/page/")
        stored = unpack(get_pool().get(page_key("site.test", "/page/")))
        assert stored.status == 200
        headers = dict(stored.headers)
        assert headers["Content-Type"] == response["Content-Type"]
        assert headers["X-Frame-Options"] == response["X-Frame-Options"] == "DENY"
        assert "Content-Length" not in headers and "X-Cache" not in headers  # Nginx sets those

    def test_a_grace_copy_is_kept_for_grace_seconds(self, cache_at):
        via_nginx("/page/")
        key = page_key("site.test", "/page/")
        assert get_pool().get(grace_key(key)) == get_pool().get(key)
        raw = get_pool()._client(cache_at.address).raw_command(
            b"mg " + grace_key(key).encode() + b" t", b"\r\n")
        assert int(raw.split()[1][1:]) > 6 * 3600 - 60  # GRACE_SECONDS' default, 6 h

    def test_opt_in_view_stored_when_storing_is_opt_in(self, cache_at):
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [cache_at.address],
                                          "STORE_BY_DEFAULT": False}):
            assert via_nginx("/page/")["X-Cache-Reason"] == "view did not opt in"
            assert via_nginx("/opt-in/")["X-Cache"] == "MISS"


class TestBypasses:
    @pytest.mark.parametrize(
        ("uri", "reason"),
        [("/cookie/", "sets cookie"), ("/csrf/", "csrf token in page"), ("/never/", "cache-control"),
         ("/no-store/", "view opted out"), ("/stream/", "streaming"), ("/missing/", "status")],
    )
    def test_refused_pages_are_served_and_not_stored(self, cache_at, uri, reason):
        response = via_nginx(uri)
        assert (response["X-Cache"], response["X-Cache-Reason"]) == ("BYPASS", reason)
        assert get_pool().get(page_key("site.test", uri)) is None

    def test_anonymous_session_read_still_stores(self, cache_at):
        # Reading an empty session adds "Vary: Cookie"; Nginx honours it by sending every
        # request with a session cookie to Django.
        response = via_nginx("/session/")
        assert response["X-Cache"] == "MISS" and "Cookie" in response["Vary"]

    def test_an_editor_never_writes_a_shared_page(self, cache_at, django_user_model):
        editor = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
        client = Client()
        client.force_login(editor)
        response = via_nginx("/page/", client=client)
        assert (response["X-Cache"], response["X-Cache-Reason"]) == ("BYPASS", "identified visitor")
        assert get_pool().get(page_key("site.test", "/page/")) is None

    def test_request_not_from_nginx_is_not_stored(self, cache_at):
        response = Client().get("/page/", HTTP_HOST="site.test")
        assert response["X-Cache-Reason"] == "not looked up by nginx"

    def test_disallowed_host_is_400_and_not_stored(self, cache_at):
        response = via_nginx("/page/", host="evil.test")
        assert response.status_code == 400 and response["X-Cache"] == "BYPASS"
        assert get_pool().get(page_key("evil.test", "/page/")) is None

    def test_page_over_the_item_limit_is_served_not_stored(self, cache_at):
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [cache_at.address],
                                          "MAX_ITEM_SIZE": 10}):
            response = via_nginx("/page/")
        assert response.status_code == 200 and response["X-Cache-Reason"] == "too large"

    def test_memcached_down_serves_the_page(self, cache_at):
        cache_at.kill()
        response = via_nginx("/page/")
        assert response.status_code == 200 and response.content == b"<p>page</p>"
        assert (response["X-Cache"], response["X-Cache-Reason"]) == ("BYPASS", "memcached unavailable")


class TestExpiry:
    def test_jitter_only_shortens(self):
        rng = random.Random(4)
        values = {expiry(300, 0.1, rng) for _ in range(200)}
        assert min(values) >= 270 and max(values) <= 300 and len(values) > 5

    def test_never_below_one_second(self):
        assert expiry(1, 0.9, random.Random(1)) == 1


class TestPublicUrls:
    @pytest.mark.parametrize(
        ("scheme", "port", "expected"),
        [("http", None, "http://site.test/x/"), ("https", None, "https://site.test/x/"),
         ("http", 8000, "http://site.test:8000/x/"), ("https", 443, "https://site.test/x/")],
    )
    def test_absolute_urls_carry_the_public_scheme_and_port_only(self, cache_at, scheme, port, expected):
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [cache_at.address],
                                          "PUBLIC_SCHEME": scheme, "PUBLIC_PORT": port}):
            response = via_nginx("/absolute/", host="Site.Test:31337", HTTP_X_FORWARDED_PROTO="https")
        assert response.content.decode() == expected

    def test_requests_nginx_did_not_look_up_keep_their_host(self, cache_at):
        response = Client().get("/absolute/", HTTP_HOST="site.test:31337")
        assert response.content == b"http://site.test:31337/x/"
