"""Hits, misses and bypasses through real Nginx, memcached and gunicorn."""
from __future__ import annotations

import gzip
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from cachekeys.keys import DEFAULT_TRACKING_PARAMS, TrackingParams, key_uri, page_key
from cachekeys.purge import purge_urls
from cachekeys.store import get_pool
from cachekeys.value import unpack
from tests.factories import make_post, make_user
from tests.http import fetch, raw_request

TRACKING = TrackingParams(DEFAULT_TRACKING_PARAMS)


def make_posts(count: int) -> None:
    for number in range(count):
        make_post(f"Post {number}", slug="hello-world" if number == 0 else f"post-{number}", ago=timedelta(hours=number + 1))


pytestmark = pytest.mark.integration

HEADERS_THAT_MATTER = (
    "Content-Type", "X-Content-Type-Options", "Referrer-Policy",
    "Cross-Origin-Opener-Policy", "X-Frame-Options",
)


def cache_key(url: str) -> str:
    out = io.StringIO()
    call_command("cache_key", url, stdout=out)
    return out.getvalue().strip()


def stored(key: str) -> bytes | None:
    return get_pool().get(key)


INCLUDE = re.compile(rb'<!--# include virtual="(/_fragments/[^"]+)" wait="yes" -->')


def assembled(body: bytes) -> bytes:
    """A stored page with each shared part put in from its own stored value, as Nginx does on a hit."""
    def part(match: re.Match) -> bytes:
        value = unpack(stored(cache_key(f"http://site.test{match.group(1).decode()}")))
        assert value is not None, match.group(1)
        return gzip.decompress(value.body)
    return INCLUDE.sub(part, body)


@pytest.fixture
def post(stack):
    return make_post("Hello world", tags=["pc"], slug="hello-world")


class TestMissThenHit:
    def test_second_request_is_served_by_nginx_with_same_bytes_and_headers(self, stack, post):
        miss = fetch(stack.base_url, "/posts/hello-world/", host="site.test")
        hit = fetch(stack.base_url, "/posts/hello-world/", host="site.test")
        assert (miss.status, miss.header("X-Cache")) == (200, "MISS")
        assert (hit.status, hit.header("X-Cache")) == (200, "HIT")
        assert hit.body == miss.body and b"Hello world" in hit.body
        for name in HEADERS_THAT_MATTER:
            assert hit.header(name) == miss.header(name), name

    def test_the_value_is_gzip_under_the_key_cache_key_prints(self, stack, post):
        page = fetch(stack.base_url, "/posts/hello-world/", host="site.test")
        value = unpack(stored(cache_key("http://site.test/posts/hello-world/")))
        assert value is not None and value.status == 200
        assert assembled(gzip.decompress(value.body)) == page.body
        assert len(value.body) < len(page.body) / 2  # a third on full pages: see bench/RESULTS.md

    def test_gzip_clients_get_the_stored_bytes_others_plain(self, stack, post):
        plain = fetch(stack.base_url, "/", host="site.test")
        zipped = fetch(stack.base_url, "/", host="site.test", headers={"Accept-Encoding": "gzip"})
        assert zipped.header("X-Cache") == "HIT" and zipped.header("Content-Encoding") == "gzip"
        assert gzip.decompress(zipped.body) == plain.body

    def test_feed_and_sitemap_keep_their_content_types_on_hits(self, stack, post):
        for uri in ("/feed/", "/sitemap.xml"):
            miss = fetch(stack.base_url, uri, host="site.test")
            hit = fetch(stack.base_url, uri, host="site.test")
            assert (miss.header("X-Cache"), hit.header("X-Cache")) == ("MISS", "HIT"), uri
            assert hit.header("Content-Type") == miss.header("Content-Type"), uri
            assert hit.body == miss.body

    def test_head_is_answered_from_the_cache(self, stack, post):
        fetch(stack.base_url, "/", host="site.test")
        head = fetch(stack.base_url, "/", host="site.test", method="HEAD")
        assert (head.status, head.header("X-Cache"), head.body) == (200, "HIT", b"")


# Odd but valid forms of the same pages: each must be stored exactly where Nginx looks.
AWKWARD = [
    ("site.test", "/posts/hello-world/"),
    ("SITE.TEST", "/posts/hello-world/"),
    ("site.test:80", "/posts/hello-world/"),
    ("Site.Test.", "/posts/hello-world/"),
    ("www.site.test", "/posts/hello-world/"),
    ("site.test", "/posts/%68ello-world/"),
    ("site.test", "/posts/hello%2Dworld/"),
    ("site.test", "/posts/hello-world/?"),
    ("site.test", "/?"),
    ("site.test", "/?page=1"),
    ("site.test", "/?page=1&page=1"),
    ("site.test", "/?page"),
    ("site.test", "/%3Fpage=1"),
    ("127.0.0.1", "/posts/hello-world/"),
]


class TestAwkwardUris:
    @pytest.mark.parametrize(("host", "uri"), AWKWARD)
    def test_stored_at_nginx_key_and_hit(self, stack, post, host, uri):
        first = fetch(stack.base_url, uri, host=host)
        second = fetch(stack.base_url, uri, host=host)
        if first.status == 404:  # kept by Nginx, never in memcached (test_missing.py)
            assert (first.header("X-Cache"), second.header("X-Cache")) == ("MISS", "HIT")
            assert stored(page_key(host, uri)) is None
            return
        if first.status != 200:  # another spelling of a page: a 301 to it (test_spellings.py)
            # Kept by Nginx like a 404, unless its Location carries tracking parameters.
            kept = key_uri(uri, TRACKING) == uri
            assert (first.header("X-Cache"), second.header("X-Cache")) == (
                ("MISS", "HIT") if kept else ("BYPASS", "BYPASS")), uri
            assert stored(page_key(host, uri)) is None
            return
        assert (first.header("X-Cache"), second.header("X-Cache")) == ("MISS", "HIT")
        assert second.body == first.body
        key = page_key(host, uri)
        assert stored(key) is not None
        assert cache_key(f"http://{host}{uri}") == key

    def test_absolute_form_request_line_uses_the_line_host(self, stack, post):
        request = (b"GET http://site.test/posts/hello-world/ HTTP/1.1\r\nHost: other.test\r\n"
                   b"Connection: close\r\n\r\n")
        first, second = raw_request(stack.base_url, request), raw_request(stack.base_url, request)
        assert b"X-Cache: MISS" in first and b"X-Cache: HIT" in second
        assert stored(page_key("site.test", "/posts/hello-world/")) is not None

    def test_raw_utf8_bytes_in_the_uri_get_a_clean_400(self, stack, post):
        # Browsers percent-encode; gunicorn refuses unencoded bytes in the request line.
        request = b"GET /posts/hello-world/?page=\xc3\xa9 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n"
        answer = raw_request(stack.base_url, request)
        assert answer.startswith(b"HTTP/1.1 400 ") and b"Traceback" not in answer
        assert stored(page_key("site.test", "/posts/hello-world/?page=\xc3\xa9")) is None

    def test_percent_encoded_utf8_is_cached(self, stack):
        make_post("Café", slug="cafe", author=make_user("zoë"))
        first = fetch(stack.base_url, "/author/zo%C3%AB/", host="site.test")
        second = fetch(stack.base_url, "/author/zo%C3%AB/", host="site.test")
        assert (first.status, first.header("X-Cache"), second.header("X-Cache")) == (200, "MISS", "HIT")
        assert stored(page_key("site.test", "/author/zo%C3%AB/")) is not None


# Shared links: tracking parameters in any order, mixed with allow-listed ones.
TRACKED = [
    ("/posts/hello-world/?utm_source=newsletter", "/posts/hello-world/"),
    ("/posts/hello-world/?fbclid=IwAR0abc", "/posts/hello-world/"),
    ("/posts/hello-world/?utm_medium=social&utm_campaign=launch&gclid=x1", "/posts/hello-world/"),
    ("/posts/hello-world/?_ga=2.1.2&_gl=1*abc&igshid=q&mc_cid=1&mc_eid=2", "/posts/hello-world/"),
    ("/posts/hello-world/?yclid=1&twclid=2&ref_src=twsrc%5Etfw&dclid=3&msclkid=4", "/posts/hello-world/"),
    ("/posts/hello-world/?utm_source", "/posts/hello-world/"),
    ("/posts/hello-world/?utm_source=a&&fbclid=b", "/posts/hello-world/"),
    ("/feed/?utm_source=rss", "/feed/"),
    ("/?utm_source=x&page=2", "/?page=2"),
    ("/?page=2&fbclid=y", "/?page=2"),
    ("/?fbclid=y&page=2&utm_term=z", "/?page=2"),
    ("/api/v1/post/?fbclid=1&limit=5&offset=5", "/api/v1/post/?limit=5&offset=5"),
]


class TestTrackingParameters:
    @pytest.mark.parametrize(("uri", "plain"), TRACKED)
    def test_a_tracked_link_is_served_the_plain_pages_bytes(self, stack, uri, plain):
        make_posts(12)
        warm = fetch(stack.base_url, plain, host="site.test")
        assert (warm.status, warm.header("X-Cache")) == (200, "MISS")
        hit = fetch(stack.base_url, uri, host="site.test")
        assert (hit.status, hit.header("X-Cache")) == (200, "HIT")
        assert hit.body == warm.body and hit.header("Content-Type") == warm.header("Content-Type")

    @pytest.mark.parametrize(("uri", "plain"), TRACKED)
    def test_a_cold_tracked_link_stores_under_the_plain_key(self, stack, uri, plain):
        make_posts(12)
        first = fetch(stack.base_url, uri, host="site.test")
        assert (first.status, first.header("X-Cache")) == (200, "MISS")
        assert stored(page_key("site.test", plain)) is not None
        assert stored(page_key("site.test", uri)) is None
        assert cache_key(f"http://site.test{uri}") == page_key("site.test", plain)
        assert fetch(stack.base_url, plain, host="site.test").header("X-Cache") == "HIT"

    def test_the_url_is_not_rewritten(self, stack, post):
        page = fetch(stack.base_url, "/posts/hello-world/?utm_source=x", host="site.test")
        assert page.status == 200 and page.header("Location") is None

    def test_a_purge_of_the_plain_url_reaches_tracked_readers(self, stack, post):
        fetch(stack.base_url, "/posts/hello-world/", host="site.test")
        purge_urls(["http://site.test/posts/hello-world/?fbclid=1"])
        again = fetch(stack.base_url, "/posts/hello-world/?utm_source=x", host="site.test")
        assert again.header("X-Cache") == "MISS"


class TestBypass:
    def test_query_outside_the_allow_list_never_hits(self, stack, post):
        for uri in ("/?ref=mail", "/?ref=mail&utm_source=x", "/?utm_source=x&ref=mail"):
            for _ in range(2):
                page = fetch(stack.base_url, uri, host="site.test")
                assert (page.status, page.header("X-Cache")) == (200, "BYPASS"), uri
            assert stored(page_key("site.test", key_uri(uri, TRACKING))) is None

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
    def test_other_methods_reach_django(self, stack, post, method):
        fetch(stack.base_url, "/", host="site.test")  # cached now
        answer = fetch(stack.base_url, "/", host="site.test", method=method, body=b"")
        assert answer.status != 405 or answer.header("X-Cache") == "BYPASS"
        assert answer.header("X-Cache") == "BYPASS"

    def test_authorization_header_bypasses(self, stack, post):
        fetch(stack.base_url, "/", host="site.test")
        page = fetch(stack.base_url, "/", host="site.test", headers={"Authorization": "Basic eDp5"})
        assert page.header("X-Cache") == "BYPASS"

    def test_client_cannot_name_a_key(self, stack, post):
        forged = page_key("site.test", "/")
        page = fetch(stack.base_url, "/?utm=1", host="site.test",
                     headers={"X-Cache-Key": forged, "X-Request-URI": "/"})
        assert page.header("X-Cache") == "BYPASS"
        assert stored(forged) is None

    def test_not_found_is_not_stored_in_memcached(self, stack):
        # Nginx keeps it in its own memory instead (test_missing.py).
        for cache in ("MISS", "HIT"):
            page = fetch(stack.base_url, "/no-such-page/", host="site.test")
            assert (page.status, page.header("X-Cache")) == (404, cache)
        assert stored(page_key("site.test", "/no-such-page/")) is None

    def test_static_files_are_served_by_nginx(self, stack):
        css = fetch(stack.base_url, "/static/admin/css/base.css", host="site.test")
        assert css.status == 200 and css.header("Content-Type") == "text/css"
        assert css.header("X-Cache") is None


class TestHosts:
    @pytest.mark.parametrize("uri", ["/feed/", "/sitemap.xml", "/"])
    def test_a_port_in_host_never_reaches_stored_links(self, stack, post, uri):
        cold = fetch(stack.base_url, uri, host="site.test:31337")
        assert cold.header("X-Cache") == "MISS"
        assert b":31337" not in cold.body
        plain = fetch(stack.base_url, uri, host="site.test")
        assert plain.header("X-Cache") == "HIT" and plain.body == cold.body
        if uri != "/":
            assert b"http://site.test/posts/hello-world/" in cold.body

    def test_the_scheme_of_the_request_never_reaches_stored_links(self, stack, post):
        feed = fetch(stack.base_url, "/feed/", host="site.test", headers={"X-Forwarded-Proto": "https"})
        assert b"https://" not in feed.body and b"http://site.test/posts/hello-world/" in feed.body

    @pytest.mark.parametrize("host", ["evil.test", "site.test.evil.test", "localhost.evil"])
    def test_unknown_hosts_are_refused_and_store_nothing(self, stack, post, host):
        page = fetch(stack.base_url, "/", host=host)
        assert page.status == 400
        assert stored(page_key(host, "/")) is None

    def test_malformed_host_is_refused(self, stack):
        assert b" 400 " in raw_request(stack.base_url, b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n")
