"""Only the spelling the site links to is stored: junk spellings leave nothing behind."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from cachekeys.conf import get_config
from cachekeys.fragments import FRAGMENT_PREFIX
from cachekeys.keys import key_uri, page_key
from cachekeys.models import CachedPage, PageTag
from cachekeys.store import get_pool
from tests.factories import make_post
from tests.http import fetch, raw_request

pytestmark = pytest.mark.integration


@pytest.fixture
def posts(stack):
    now = timezone.now()
    made = [make_post(f"Story {n}", slug="hello-world" if n == 0 else f"story-{n}", category="Games",
                      tags=["pc"], ago=timedelta(hours=n + 1)) for n in range(15)]
    return now, made


def pages():
    """Stored pages, leaving out the site's shared parts (a fixed set, whichever page rendered them)."""
    return CachedPage.objects.exclude(uri__startswith=FRAGMENT_PREFIX)


def archive(now) -> str:
    published = timezone.localtime(now - timedelta(hours=1))
    return f"/archive/{published.year}/{published.month}/"


def items(stack) -> int:
    total = 0
    for node in stack.memcached:
        with socket.create_connection(("127.0.0.1", node.port), 2) as sock:
            sock.sendall(b"stats\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                data += sock.recv(65536)
        stats = dict(line.split()[1:3] for line in data.decode().splitlines() if line.startswith("STAT"))
        total += int(stats["curr_items"])
    return total


def redirects(posts) -> list[tuple[str, str]]:
    now, _ = posts
    month = archive(now)
    zero_padded = month.replace("/archive/", "/archive/0").replace(f"/{month.split('/')[3]}/", f"/0{month.split('/')[3]}/")
    return [
        ("/?page=2&page=2", "/?page=2"),
        ("/?page=zzz&page=2", "/?page=2"),
        ("/?page=1", "/"),
        ("/?", "/"),
        ("/#x", "/"),
        ("/?page=2#top", "/?page=2"),
        ("/p%6fsts/hello-world/", "/posts/hello-world/"),
        ("/posts/hello%2Dworld/", "/posts/hello-world/"),
        ("/posts/hello-world/?", "/posts/hello-world/"),
        ("/category/games/?page=1", "/category/games/"),
        ("/tag/pc/?page=2&page=2&fbclid=z", "/tag/pc/?page=2&fbclid=z"),
        (zero_padded, month),
        ("/%61rchive/" + month.split("/archive/")[1], month),
        # Allow-listed parameters a page never reads are no part of its URL.
        ("/posts/hello-world/?limit=5", "/posts/hello-world/"),
        ("/?offset=10&page=2", "/?page=2"),
        ("/category/games/?tag=pc", "/category/games/"),
    ]


NOT_FOUND = ["/?page=", "/?page=01", "/?page=999", "/?page=-1", "/?page=zzz", "/posts/no-such-post/",
             "/archive/2026/13/", "/archive/1999/1/", "/category/nothing/", "/tag/nothing/"]
# Answered, not stored: no spelling of these is worth an item.
UNSTORED = ["/api/v1/post/?offset=500", "/api/v1/post/?category=nothing", "/api/v1/post/?tag=nothing",
            "/api/v1/post/?limit=0", "/api/v1/post/?limit=101", "/api/v1/tag/?offset=9999"]


class TestJunkSpellings:
    def test_redirected_to_the_canonical_url_and_never_stored(self, stack, posts):
        tracking = get_config().key_rules.tracking
        for uri, canonical in redirects(posts):
            # Nginx keeps the redirect itself (cachekeys.missing), unless its Location carries
            # tracking parameters the key leaves out.
            kept = key_uri(uri, tracking) == uri
            for expected in (["MISS", "HIT"] if kept else ["BYPASS", "BYPASS"]):
                answer = fetch(stack.base_url, uri, host="site.test")
                assert (answer.status, answer.header("Location")) == (301, canonical), uri
                assert answer.header("X-Cache") == expected, uri
                assert b"Traceback" not in answer.body
            target = fetch(stack.base_url, canonical, host="site.test")
            assert target.status == 200, canonical
        assert not pages().exclude(uri__in=[key_uri(c, tracking) for _, c in redirects(posts)]).exists()

    def test_missing_spellings_are_404s_and_never_stored(self, stack, posts):
        for uri in NOT_FOUND:
            answer = fetch(stack.base_url, uri, host="site.test")
            assert answer.status == 404, uri
            assert b"Traceback" not in answer.body
        assert not pages().exists()

    def test_empty_answers_are_served_not_stored(self, stack, posts):
        for uri in UNSTORED:
            for _ in range(2):
                answer = fetch(stack.base_url, uri, host="site.test")
                assert (answer.status, answer.header("X-Cache"), answer.header("X-Cache-Reason")) == (
                    200, "BYPASS", "not canonical"), uri
            assert get_pool().get(page_key("site.test", uri)) is None
        assert not CachedPage.objects.exists()

    def test_a_raw_fragment_in_the_request_line(self, stack, posts):
        answer = raw_request(stack.base_url, b"GET /posts/hello-world/#frag HTTP/1.1\r\nHost: site.test\r\n"
                                             b"Connection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 301 ") and b"\r\nLocation: /posts/hello-world/\r\n" in answer
        assert get_pool().get(page_key("site.test", "/posts/hello-world/#frag")) is None

    def test_a_flood_of_junk_leaves_no_item_and_no_row(self, stack, posts):
        real = ["/", "/posts/hello-world/", "/category/games/", "/?page=2"]
        for uri in real:
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "MISS"
        assert fetch(stack.base_url, "/posts/missing/", host="site.test").status == 404  # its shared parts
        pages, tags, before = CachedPage.objects.count(), PageTag.objects.count(), items(stack)
        for n in range(150):
            junk = [f"/?page={n + 3}&page=2", f"/p%6fsts/hello-world/?page=x{n}", f"/api/v1/post/?offset={500 + n}",
                    f"/api/v1/post/?tag=none-{n}", f"/posts/missing-{n}/"]
            for uri in junk:
                assert fetch(stack.base_url, uri, host="site.test").status in (200, 301, 404), uri
        assert (CachedPage.objects.count(), PageTag.objects.count()) == (pages, tags)
        print(f"\n  750 junk requests: memcached items {before} -> {items(stack)}, page records {pages} -> "
              f"{CachedPage.objects.count()}")
        # Coalescing claims of the last few seconds at most; pages are still there.
        for uri in real:
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "HIT", uri
