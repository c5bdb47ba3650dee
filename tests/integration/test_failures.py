"""memcached down, hung or full never costs a reader a page."""
from __future__ import annotations

import bisect
import itertools
import shutil
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from cachekeys.conf import get_config
from cachekeys.pool import DEAD_SECONDS
from cachekeys.ring import ConsistentRing
from cachekeys.testing import Memcached
from cachekeys.value import pack
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
        # The first tier may answer for one purge window more, then knows it cannot learn of purges.
        time.sleep(get_config().purge_window)
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
        time.sleep(get_config().purge_window)  # the first tiers stop answering: a node is unreadable
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


    def test_a_node_that_returns_takes_its_pages_back_and_orphans_are_purged(self, make_site):
        from cachekeys.store import get_pool

        site = make_site(memcached_nodes=3)
        posts = [make_post(f"Returning {i}", slug=f"returning-{i}") for i in range(12)]
        pool = get_pool()
        owner = {post: pool.ring.node_for(_key(post.get_absolute_url())) for post in posts}
        index = max(range(3), key=lambda i: list(owner.values()).count(site.memcached[i].address))
        node = site.memcached[index]
        mine = [post for post in posts if owner[post] == node.address]
        node.stop()
        for post in mine:  # stored on the next node while this one is away
            fetch(site.base_url, post.get_absolute_url(), host="site.test")
        site.memcached[index] = Memcached(port=node.port).start()  # back, and empty

        # Nginx retries a failed peer after its fail_timeout (10 s); Django after as long.
        time.sleep(DEAD_SECONDS + 1.5)
        for post in mine:
            uri = post.get_absolute_url()
            first, second = (fetch(site.base_url, uri, host="site.test") for _ in range(2))
            assert (first.header("X-Cache"), second.header("X-Cache")) == ("MISS", "HIT"), uri
            assert _node_has(node.address, _key(uri))

        # The copy left on the stand-in node is purged with the rest, so the next outage
        # cannot bring an old version back.
        post = mine[0]
        post.title = "Returning, edited"
        post.save()
        assert not any(_node_has(server, _key(post.get_absolute_url())) for server in pool.servers)
        site.memcached[index].stop()
        page = fetch(site.base_url, post.get_absolute_url(), host="site.test")
        assert page.status == 200 and b"Returning, edited" in page.body

    def test_nginx_and_django_walk_the_same_21_points_past_dead_nodes(self):
        # Nginx gives up walking the ring after 21 points and picks a node round robin;
        # Django must follow the walk exactly that far. Forty names, two of them alive: the
        # key sits where the first 20 points belong to dead names and the 21st is alive.
        from cachekeys.pool import MemcachedPool
        from cachekeys.testing import Nginx, world_readable_dir, free_port

        servers = sorted({f"127.0.0.1:{free_port()}" for _ in range(40)})
        ring = ConsistentRing(servers)
        owners = ring._servers
        start = next(i for i in range(len(owners) - 21) if owners[i + 20] not in owners[i:i + 20])
        alive = [owners[start + 20], next(s for s in servers if s not in owners[start:start + 21])]
        uri = next(u for u in (f"/?page={n}" for n in itertools.count(1))
                   if bisect.bisect_left(ring._hashes, zlib.crc32(_key(u).encode())) == start)
        nodes = [Memcached(port=int(server.rpartition(":")[2])).start() for server in alive]
        nginx = Nginx(app=["127.0.0.1:9"], memcached=servers, run_dir=world_readable_dir("chash-")).start()
        pool = MemcachedPool(servers, connect_timeout=0.5, io_timeout=0.5)
        try:
            # Django walks past each dead node as it finds it, as Nginx does.
            assert pool.set(_key(uri), pack(200, [("Content-Type", "text/plain")], b"stored by django"),
                            expire=60, flags=0)
            assert _node_has(alive[0], _key(uri))
            pages = [fetch(f"http://127.0.0.1:{nginx.port}", uri, host="site.test") for _ in range(6)]
            assert {(page.status, page.body) for page in pages} == {(200, b"stored by django")}
        finally:
            pool.close()
            nginx.stop()
            shutil.rmtree(nginx.run_dir, ignore_errors=True)
            for node in nodes:
                node.stop()


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
