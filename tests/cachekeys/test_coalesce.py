"""Coalescing: the decision table on its own, then claims on a real memcached."""
from __future__ import annotations

import itertools
import threading
import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from cachekeys.coalesce import (
    VERDICT_SECONDS, Claim, Coalescer, Outcome, State, Step, body_digest, claim_key, coalescible,
    decode, next_step, poll_delays, unpacked,
)
from cachekeys.keys import page_key
from cachekeys.lookup import KeyRules, lookup
from cachekeys.pool import MemcachedPool
from cachekeys.store import compress, get_pool
from cachekeys.value import pack

PAGE = b"<p>the page</p>"
HTML = (("Content-Type", "text/html; charset=utf-8"),)
KEY = page_key("site.test", "/page/")


def stored(sequence: int, body: bytes = PAGE) -> Claim:
    return Claim(State.STORED, sequence, body_digest(body))


class TestClaimValues:
    @pytest.mark.parametrize("claim", [Claim(State.RENDERING, 7), stored(7), Claim(State.UNSTORED, 0)])
    def test_round_trip(self, claim):
        assert decode(claim.encode()) == claim

    def test_the_value_is_short_ascii(self):
        assert stored(12).encode() == b"stored 12 " + body_digest(PAGE).encode()

    @pytest.mark.parametrize("raw", [None, b"", b"rendering", b"sleeping 3", b"stored x", b"\xff 1"])
    def test_absent_or_unreadable_is_nobody(self, raw):
        assert decode(raw) is None

    def test_claim_key_sits_beside_the_page_key(self):
        assert claim_key(KEY) == "claim:" + KEY and len(claim_key(KEY)) < 250

    def test_a_stored_claim_vouches_only_for_its_own_bytes(self):
        assert stored(1).vouches_for(PAGE)
        assert not stored(1).vouches_for(PAGE + b" ")
        assert not stored(1).vouches_for(None)
        assert not Claim(State.RENDERING, 1).vouches_for(PAGE)


class TestNextStep:
    @pytest.mark.parametrize(
        ("claim", "body", "sequence", "waited_out", "step"),
        [
            (None, None, 5, False, Step.TAKE),  # nobody renders: become the renderer
            (None, PAGE, 5, True, Step.TAKE),  # a page without a verdict proves nothing
            (Claim(State.RENDERING, 5), None, 5, False, Step.WAIT),
            (Claim(State.RENDERING, 1), None, 5, False, Step.WAIT),  # its verdict decides
            (Claim(State.RENDERING, 5), None, 5, True, Step.RENDER),  # waited long enough
            (stored(5), PAGE, 5, False, Step.SERVE),
            (stored(9), PAGE, 5, True, Step.SERVE),  # fresher than needed
            (stored(4), PAGE, 5, False, Step.TAKE),  # rendered before a purge this one saw
            (stored(5), None, 5, False, Step.TAKE),  # purged or evicted since
            (stored(5), b"other bytes", 5, False, Step.TAKE),  # overwritten by someone else
            (Claim(State.UNSTORED, 5), None, 5, False, Step.RENDER),  # e.g. a 404
            (Claim(State.UNSTORED, 4), None, 5, False, Step.TAKE),  # purged during its render
        ],
    )
    def test_table(self, claim, body, sequence, waited_out, step):
        assert next_step(claim, body, sequence, waited_out) is step


class TestCoalescible:
    def test_a_get_nginx_sent_as_a_miss(self):
        assert coalescible(lookup("GET", "site.test", "/page/", KEY, KeyRules()))

    @pytest.mark.parametrize(
        ("method", "key", "uri", "prefix"),
        [("HEAD", KEY, "/page/", ""), ("GET", None, "/page/", ""), ("GET", KEY, None, ""),
         ("GET", KEY, "/other/", ""), ("GET", KEY, "/page/", "v2:")],
    )
    def test_anything_else_renders_alone(self, method, key, uri, prefix):
        assert not coalescible(lookup(method, "site.test", uri, key, KeyRules(key_prefix=prefix)))


class TestHelpers:
    def test_polls_back_off_to_a_ceiling(self):
        assert list(itertools.islice(poll_delays(0.005, 0.05), 6)) == [0.005, 0.01, 0.02, 0.04, 0.05, 0.05]

    def test_unpacked(self):
        body, stored = unpacked(pack(200, [("Content-Type", "text/html")], compress(PAGE, 6)))
        assert body == PAGE and stored.headers == (("Content-Type", "text/html"),)
        assert unpacked(None) == (None, None)
        assert unpacked(compress(PAGE, 6)) == (None, None)  # not in the stored format
        assert unpacked(pack(200, [], b"plain, not gzip")) == (None, None)
        assert unpacked(pack(200, [], compress(PAGE, 6)[:-4])) == (None, None)


class FakeTime:
    """A clock that moves only when the code under test sleeps; ``on_sleep`` acts meanwhile."""

    def __init__(self, on_sleep=None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


@pytest.fixture
def pool(memcached):
    pool = MemcachedPool([memcached.address], connect_timeout=0.5, io_timeout=0.5)
    yield pool
    pool.close()


def coalescer(pool: MemcachedPool, fake: FakeTime | None = None, wait: float = 5.0) -> Coalescer:
    fake = fake or FakeTime()
    return Coalescer(pool, claim_seconds=3, wait_seconds=wait, clock=fake.clock, sleep=fake.sleep)


def raw_claim(pool: MemcachedPool, key: str = KEY) -> Claim | None:
    return decode(pool.get(claim_key(key)))


def seconds_left(pool: MemcachedPool, key: str) -> int:
    # memcached's meta get with the "t" flag answers "HD t<seconds left>".
    raw = pool._client(pool.servers[0]).raw_command(b"mg " + key.encode() + b" t", b"\r\n")
    return int(raw.split()[1][1:])


def store_page(pool: MemcachedPool, body: bytes = PAGE, key: str = KEY,
               content_type: str = "text/html; charset=utf-8") -> None:
    assert pool.set(key, pack(200, [("Content-Type", content_type)], compress(body, 6)), expire=60, flags=1)


class TestCoalescer:
    def test_the_first_request_takes_the_claim_with_its_ticket(self, pool):
        assert coalescer(pool).claim_or_wait(KEY, 5) == Outcome(holding=True)
        assert raw_claim(pool) == Claim(State.RENDERING, 5)

    def test_only_one_of_many_takes_it(self, pool):
        outcomes = [coalescer(pool, wait=0).claim_or_wait(KEY, 5) for _ in range(8)]
        assert [o.holding for o in outcomes].count(True) == 1

    def test_a_waiter_serves_the_page_the_holder_stores(self, pool):
        coalescer(pool).claim_or_wait(KEY, 5)

        def holder_finishes(sleeps: int) -> None:
            if sleeps == 3:
                store_page(pool)
                coalescer(pool).settle(KEY, 5, PAGE)

        fake = FakeTime(holder_finishes)
        assert coalescer(pool, fake).claim_or_wait(KEY, 5) == Outcome(body=PAGE, headers=HTML)
        assert len(fake.sleeps) == 3 and sum(fake.sleeps) < 0.1

    def test_the_verdict_serves_late_readers_at_once(self, pool):
        store_page(pool)
        coalescer(pool).settle(KEY, 5, PAGE)
        fake = FakeTime()
        assert coalescer(pool, fake).claim_or_wait(KEY, 4) == Outcome(body=PAGE, headers=HTML)
        assert fake.sleeps == []

    def test_a_page_rendered_before_a_purge_the_waiter_saw_is_not_served(self, pool):
        store_page(pool)
        coalescer(pool).settle(KEY, 5, PAGE)
        assert coalescer(pool).claim_or_wait(KEY, 6) == Outcome(holding=True)
        assert raw_claim(pool) == Claim(State.RENDERING, 6)

    def test_a_purged_page_is_rendered_again_by_one_request(self, pool):
        coalescer(pool).settle(KEY, 5, PAGE)  # stored, then deleted by a purge
        outcomes = [coalescer(pool, wait=0).claim_or_wait(KEY, 5) for _ in range(4)]
        assert [o.holding for o in outcomes] == [True, False, False, False]

    def test_an_unstored_verdict_sends_readers_to_render_at_once(self, pool):
        coalescer(pool).settle(KEY, 5, None)
        fake = FakeTime()
        assert coalescer(pool, fake).claim_or_wait(KEY, 5) == Outcome()
        assert fake.sleeps == []

    def test_a_claim_whose_holder_never_answers_is_waited_out(self, pool):
        coalescer(pool).claim_or_wait(KEY, 5)
        fake = FakeTime()
        assert coalescer(pool, fake, wait=1.0).claim_or_wait(KEY, 5) == Outcome()
        assert sum(fake.sleeps) == pytest.approx(1.0)

    def test_a_claim_that_expires_is_taken_over(self, pool):
        coalescer(pool).claim_or_wait(KEY, 5)

        def holder_dies(sleeps: int) -> None:
            if sleeps == 2:
                pool.delete_many([claim_key(KEY)])  # what memcached does at expiry

        assert coalescer(pool, FakeTime(holder_dies)).claim_or_wait(KEY, 6) == Outcome(holding=True)
        assert raw_claim(pool) == Claim(State.RENDERING, 6)

    def test_a_slow_render_keeps_its_claim_alive(self, pool):
        holder = Coalescer(pool, claim_seconds=3, wait_seconds=0)
        holder.claim_or_wait(KEY, 5)
        with holder.keeping(KEY):
            time.sleep(2.2)
            # Untouched, it would have at most a second left by memcached's own clock.
            assert seconds_left(pool, claim_key(KEY)) >= 2
            assert raw_claim(pool) == Claim(State.RENDERING, 5)
        # The renewing thread is gone with the render.
        assert not [t for t in threading.enumerate() if t.name.startswith("cachekeys-claim-")]
        assert 0 < seconds_left(pool, claim_key(KEY)) <= 3  # and the claim will expire

    def test_release_lets_the_next_request_take_it(self, pool):
        coalescer(pool).claim_or_wait(KEY, 5)
        coalescer(pool).release(KEY)
        assert coalescer(pool).claim_or_wait(KEY, 5) == Outcome(holding=True)

    def test_the_claim_expires_on_its_own(self, pool):
        coalescer(pool).claim_or_wait(KEY, 5)
        assert 0 < seconds_left(pool, claim_key(KEY)) <= 3

    def test_the_verdict_outlives_the_claim(self, pool):
        coalescer(pool).settle(KEY, 5, PAGE)
        assert 3 < seconds_left(pool, claim_key(KEY)) <= VERDICT_SECONDS

    def test_memcached_down_means_render_alone_and_skip_a_second_timeout(self, memcached):
        memcached.kill()
        down = MemcachedPool([memcached.address], connect_timeout=0.2, io_timeout=0.2)
        fake = FakeTime()
        # The only node stays in rotation (as in Nginx): storing would just time out again.
        assert coalescer(down, fake).claim_or_wait(KEY, 5) == Outcome(store=False)
        assert fake.sleeps == []
        coalescer(down).settle(KEY, 5, PAGE)  # swallowed
        coalescer(down).release(KEY)
        down.close()

    def test_a_node_down_in_a_pool_leaves_the_store_to_the_next_node(self, memcached):
        from cachekeys.testing import Memcached

        other = Memcached().start()
        pool = MemcachedPool([memcached.address, other.address], 0.5, 0.5)
        try:
            key = next(k for k in (page_key("site.test", f"/p/{i}/") for i in range(100))
                       if pool.ring.node_for(k) == memcached.address)
            memcached.kill()
            assert coalescer(pool).claim_or_wait(key, 5) == Outcome()  # store=True
            assert pool.node_for(key) == other.address  # where Nginx reads it now
        finally:
            pool.close()
            other.stop()

    def test_the_claim_lives_on_the_page_node_of_a_pool(self):
        from cachekeys.testing import Memcached

        nodes = [Memcached().start() for _ in range(3)]
        pool = MemcachedPool([n.address for n in nodes], 0.5, 0.5)
        try:
            keys = [page_key("site.test", f"/p/{i}/") for i in range(12)]
            for key in keys:
                assert coalescer(pool).claim_or_wait(key, 1).holding
            for key in keys:
                owner = pool.ring.node_for(key)
                holders = [s for s in pool.servers if pool.call(s, "get", claim_key(key)) is not None]
                assert holders == [owner]
        finally:
            pool.close()
            for node in nodes:
                node.stop()


@pytest.fixture
def cache_at(memcached):
    with override_settings(ROOT_URLCONF="tests.cachekeys.urls",
                           CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [memcached.address]}):
        yield memcached


def via_nginx(uri: str, host: str = "site.test", **extra):
    return Client().get(uri, HTTP_HOST=host, HTTP_X_CACHE_KEY=page_key(host, uri),
                        HTTP_X_REQUEST_URI=uri, **extra)


@pytest.mark.django_db
class TestMiddleware:
    def test_the_holder_renders_stores_and_leaves_a_verdict(self, cache_at):
        response = via_nginx("/page/")
        assert response["X-Cache"] == "MISS"
        assert raw_claim(get_pool()) == stored(0, response.content)

    def test_a_reader_behind_the_verdict_gets_the_stored_page(self, cache_at):
        miss = via_nginx("/page/")
        coalesced = via_nginx("/page/")
        assert coalesced["X-Cache"] == "COALESCED" and coalesced.content == miss.content
        for name in ("Content-Type", "X-Content-Type-Options", "Referrer-Policy",
                     "Cross-Origin-Opener-Policy", "X-Frame-Options"):
            assert coalesced[name] == miss[name], name

    def test_the_status_and_headers_are_the_stored_ones(self, cache_at):
        pool = get_pool()
        key = page_key("site.test", "/feed/x/")
        store_page(pool, b"<rss/>", key, content_type="application/rss+xml; charset=utf-8")
        coalescer(pool).settle(key, 0, b"<rss/>")
        response = via_nginx("/feed/x/")
        assert response["X-Cache"] == "COALESCED"
        assert response["Content-Type"] == "application/rss+xml; charset=utf-8"

    def test_a_refused_page_leaves_an_unstored_verdict(self, cache_at):
        for _ in range(2):
            response = via_nginx("/missing/")
            assert (response.status_code, response["X-Cache"]) == (404, "BYPASS")
        assert raw_claim(get_pool(), page_key("site.test", "/missing/")) == Claim(State.UNSTORED, 0)

    def test_head_and_requests_not_from_nginx_take_no_claim(self, cache_at):
        Client().head("/page/", HTTP_HOST="site.test", HTTP_X_CACHE_KEY=KEY, HTTP_X_REQUEST_URI="/page/")
        Client().get("/page/", HTTP_HOST="site.test")
        Client().get("/page/", HTTP_HOST="site.test", HTTP_X_CACHE_KEY=page_key("site.test", "/x/"),
                     HTTP_X_REQUEST_URI="/page/")
        assert raw_claim(get_pool()) is None

    def test_a_wait_of_zero_turns_coalescing_off(self, cache_at):
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [cache_at.address],
                                          "COALESCE_WAIT_SECONDS": 0}):
            assert [via_nginx("/page/")["X-Cache"] for _ in range(2)] == ["MISS", "MISS"]
            assert raw_claim(get_pool()) is None

    def test_a_render_that_raises_releases_the_claim(self, cache_at, monkeypatch):
        from cachekeys import middleware

        def broken(*args, **kwargs):
            raise RuntimeError("store exploded")

        monkeypatch.setattr(middleware, "store_guarded", broken)
        with pytest.raises(RuntimeError):
            via_nginx("/page/")
        assert raw_claim(get_pool()) is None

    def test_memcached_down_still_answers(self, cache_at):
        cache_at.kill()
        response = via_nginx("/page/")
        assert (response.status_code, response["X-Cache"]) == (200, "BYPASS")
        assert response["X-Cache-Reason"] == "memcached unavailable"

    def test_a_refused_page_keeps_its_own_reason_when_memcached_is_down(self, cache_at):
        cache_at.kill()
        assert via_nginx("/missing/")["X-Cache-Reason"] == "status"


class TestSettings:
    @pytest.mark.parametrize(("name", "value"), [("COALESCE_WAIT_SECONDS", -1), ("CLAIM_SECONDS", 0),
                                                 ("CLAIM_SECONDS", "3"), ("COALESCE_WAIT_SECONDS", True)])
    def test_bad_values_name_the_setting(self, name, value):
        from django.core.exceptions import ImproperlyConfigured

        from cachekeys.conf import get_config

        with override_settings(CACHEKEYS={**settings.CACHEKEYS, name: value}):
            with pytest.raises(ImproperlyConfigured, match=name):
                get_config()

    def test_defaults_let_a_waiter_outlast_a_dead_claim(self):
        from cachekeys.conf import DEFAULTS

        assert DEFAULTS["CLAIM_SECONDS"] < DEFAULTS["COALESCE_WAIT_SECONDS"]
