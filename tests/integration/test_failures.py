"""memcached down, hung or full never costs a reader a page."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cachekeys.testing import Memcached
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


def read_many(base_url: str, uris: list[str], timeout: float = 5) -> list:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda uri: fetch(base_url, uri, host="site.test", timeout=timeout), uris))


class TestMemcachedDown:
    def test_readers_keep_getting_pages_while_it_is_killed_and_back(self, make_site):
        site = make_site()
        post = make_post("Still here", slug="still-here")
        uris = ["/", post.get_absolute_url(), "/feed/"] * 8
        assert {page.status for page in read_many(site.base_url, uris)} == {200}

        node = site.memcached[0]
        node.kill()
        pages = read_many(site.base_url, uris)
        assert {page.status for page in pages} == {200}
        assert all(b"Still here" in page.body for page in pages)
        assert {page.header("X-Cache") for page in pages} == {"BYPASS"}

        site.memcached[0] = Memcached(port=node.port).start()
        first = fetch(site.base_url, "/", host="site.test")
        second = fetch(site.base_url, "/", host="site.test")
        assert second.header("X-Cache") == "HIT", first.header("X-Cache-Reason")

    def test_a_hung_memcached_does_not_hang_readers(self, make_site):
        site = make_site()
        make_post("Patience", slug="patience")
        site.memcached[0].pause()
        try:
            # The client timeout is the assertion: Nginx's and Django's short memcached
            # timeouts must answer well before it.
            pages = read_many(site.base_url, ["/", "/posts/patience/"] * 4, timeout=5)
        finally:
            site.memcached[0].resume()
        assert {page.status for page in pages} == {200}


class TestMemcachedPool:
    def test_pages_live_on_the_node_nginx_reads_even_with_one_stopped(self, make_site):
        from cachekeys.store import get_pool

        site = make_site(memcached_nodes=3)
        posts = [make_post(f"Pooled {i}", slug=f"pooled-{i}") for i in range(24)]
        uris = [post.get_absolute_url() for post in posts]
        pool = get_pool()

        for uri in uris:
            assert fetch(site.base_url, uri, host="site.test").header("X-Cache") == "MISS"
        holders = {}
        for uri in uris:
            key = _key(uri)
            holding = [n for n in pool.servers if _node_has(n, key)]
            assert holding == [pool.ring.node_for(key)], uri
            holders[uri] = holding[0]
            assert fetch(site.base_url, uri, host="site.test").header("X-Cache") == "HIT"
        assert len(set(holders.values())) == 3  # the keys really are spread

        stopped = site.memcached[0]
        stopped.stop()
        moved = [uri for uri in uris if holders[uri] == stopped.address]
        assert moved
        for uri in uris:
            fetch(site.base_url, uri, host="site.test")
        for uri in uris:
            page = fetch(site.base_url, uri, host="site.test")
            assert (page.status, page.header("X-Cache")) == (200, "HIT"), uri
        for uri in moved:
            key = _key(uri)
            expected = pool.ring.node_for(key, lambda server: server != stopped.address)
            assert _node_has(expected, key)


def _key(uri: str) -> str:
    from cachekeys.keys import page_key

    return page_key("site.test", uri)


def _node_has(server: str, key: str) -> bool:
    from pymemcache.client.base import Client

    host, _, port = server.rpartition(":")
    client = Client((host, int(port)), connect_timeout=1, timeout=1)
    try:
        return client.get(key) is not None
    except OSError:
        return False
    finally:
        client.close()
