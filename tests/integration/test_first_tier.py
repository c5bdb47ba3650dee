"""Nginx's first tier, on by default: hits from shared memory, purges that reach every front.

A site of its own (memcached, gunicorn, Nginx with two workers) with the default settings
but a long tier TTL, so only purges, never expiry, can keep a tier's pages fresh. Purges
reach the tier through the purge log in memcached (``cachekeys.deletes``); nothing lists
the fronts. The last class runs the whole consistency test (every kind of change, every
page) against such a site.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from blog.models import Post
from cachekeys.conf import get_config
from cachekeys.deletes import grace_key, log_keys
from cachekeys.keys import page_key
from cachekeys.nginx import tier_megabytes
from cachekeys.purge import purge_urls
from cachekeys.store import compress, get_pool
from cachekeys.testing import Gunicorn, Nginx, Stack
from cachekeys.tracking import tracker
from cachekeys.value import pack, unpack
from tests.conftest import app_env
from tests.factories import make_post
from tests.http import fetch
from tests.integration.test_consistency import TestConsistency as ConsistencyScenario
from tests.integration.test_consistency import admin_data, editor  # noqa: F401 (a fixture)
from tests.integration.test_editors import log_in

pytestmark = pytest.mark.integration

TTL = 60.0
# Enough requests that each of an Nginx's workers answers some (reuseport spreads them).
SPREAD = 16


def tier_settings(stack: Stack, **extra) -> dict:
    return {**settings.CACHEKEYS, "SERVERS": stack.memcached_servers, "NGINX_FIRST_TIER_TTL": TTL, **extra}


@contextlib.contextmanager
def tier_site(fronts: int = 1, **extra) -> Iterator[Stack]:
    """memcached, one gunicorn and ``fronts`` Nginx (two workers each), default first tier."""
    stack = Stack()
    stack.nginx.workers = "2"
    app = Gunicorn(env={}, log=Path(stack.run_dir) / "gunicorn.log")
    stack.set_app([app.address])
    # Nginx is rendered in this process: its settings must be in force before it starts.
    with override_settings(CACHEKEYS=tier_settings(stack, **extra)), stack:
        stack.fronts = [stack.nginx] + [
            Nginx([app.address], stack.memcached_servers, stack.run_dir / f"front-{i}", workers="2")
            for i in range(1, fronts)]
        with contextlib.ExitStack() as running:
            for front in stack.fronts[1:]:
                front.run_dir.mkdir(mode=0o755)
                front.start()
                running.callback(front.stop)
            app.env = {**app_env(stack), "DJANGO_SETTINGS_MODULE": "tests.integration.fragment_settings"}
            app.start()
            running.callback(app.stop)
            stack.app = app
            yield stack


@pytest.fixture(scope="module")
def tier_session(django_db_setup, django_db_blocker) -> Iterator[Stack]:
    with django_db_blocker.unblock(), tier_site(fronts=2) as stack:
        yield stack


@pytest.fixture
def stack(tier_session: Stack, transactional_db) -> Iterator[Stack]:
    """The site, emptied: memcached flushed and every front's tier told to forget all."""
    with override_settings(CACHEKEYS=tier_settings(tier_session)):
        tier_session.flush()
        yield tier_session


@pytest.fixture
def post(stack):
    return make_post("Hello tier", tags=["pc"], slug="hello-tier")


def retitle_unpurged(post: Post, title: str) -> None:
    """Change a post in the database and purge nothing (an update purges like a save otherwise)."""
    with tracker.paused():
        Post.objects.filter(pk=post.pk).update(title=title)


def forget_in_memcached(uri: str, host: str = "site.test") -> None:
    """Delete a page from memcached behind the first tier's back (no purge)."""
    pool = get_pool()
    for server in pool.servers:
        assert pool.delete_on(server, [page_key(host, uri)])


def read(base_url: str, uri: str, **options):
    return fetch(base_url, uri, host="site.test", **options)


def every_worker(base_url: str, uri: str, **options) -> list:
    """Read ``uri`` on fresh connections, enough for each worker of that Nginx to answer."""
    return [read(base_url, uri, **options) for _ in range(SPREAD)]


def warm(stack: Stack, uri: str) -> None:
    """Store ``uri`` and have every worker of every front hold it in its tier."""
    read(stack.base_url, uri)
    for front in stack.fronts:
        every_worker(f"http://127.0.0.1:{front.port}", uri)


def fronts(stack: Stack) -> list[str]:
    return [f"http://127.0.0.1:{front.port}" for front in stack.fronts]


class TestHits:
    def test_a_hit_is_served_from_the_tier_while_memcached_has_forgotten_it(self, stack, post):
        miss = read(stack.base_url, "/posts/hello-tier/")
        assert miss.header("X-Cache") == "MISS"
        warm(stack, "/posts/hello-tier/")
        forget_in_memcached("/posts/hello-tier/")
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/posts/hello-tier/"):
                assert page.header("X-Cache") == "HIT" and page.body == miss.body

    def test_gzip_and_plain_clients_get_the_same_page_with_the_headers_of_the_miss(self, stack, post):
        miss = read(stack.base_url, "/posts/hello-tier/")
        read(stack.base_url, "/posts/hello-tier/")  # into the tier
        plain = read(stack.base_url, "/posts/hello-tier/")
        zipped = read(stack.base_url, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert plain.header("Content-Encoding") is None and plain.body == miss.body
        assert zipped.header("Content-Encoding") == "gzip" and gzip.decompress(zipped.body) == miss.body
        for page in (plain, zipped):
            assert page.header("X-Cache") == "HIT"
            assert page.header("Content-Length") == str(len(page.body))
            assert page.header("Transfer-Encoding") is None
            assert page.headers.get_all("Vary") == ["Accept-Encoding"]
            assert page.header("Server") == "nginx"  # server_tokens off: no version
            for name in ("Content-Type", "X-Content-Type-Options", "Referrer-Policy",
                         "Cross-Origin-Opener-Policy", "X-Frame-Options"):
                assert page.header(name) == miss.header(name), name

    def test_a_client_refusing_gzip_gets_plain_bytes(self, stack, post):
        plain = read(stack.base_url, "/posts/hello-tier/")
        read(stack.base_url, "/posts/hello-tier/")
        refused = read(stack.base_url, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip;q=0, identity"})
        assert refused.header("Content-Encoding") is None and refused.body == plain.body

    def test_head_is_answered_from_the_tier_with_the_length_of_the_page(self, stack, post):
        page = read(stack.base_url, "/posts/hello-tier/")
        read(stack.base_url, "/posts/hello-tier/")
        head = read(stack.base_url, "/posts/hello-tier/", method="HEAD")
        assert (head.status, head.header("X-Cache"), head.body) == (200, "HIT", b"")
        assert head.header("Content-Length") == str(len(page.body))

    @pytest.mark.parametrize("uri", ["/", "/posts/hello-tier/", "/feed/", "/sitemap.xml", "/api/v1/post/"])
    def test_a_hit_repeats_every_header_of_its_miss(self, stack, post, uri):
        miss = read(stack.base_url, uri)
        assert miss.header("X-Cache") == "MISS", miss.header("X-Cache-Reason")
        hit = read(stack.base_url, uri)
        assert hit.header("X-Cache") == "HIT"
        chunked_only = {"Transfer-Encoding", "Connection", "Keep-Alive", "Date", "X-Cache"}
        assert {n for n in miss.headers if n not in chunked_only} <= set(hit.headers) | {"Content-Length"}
        for name in miss.headers:
            if name not in chunked_only | {"Content-Length"}:
                assert hit.headers.get_all(name) == miss.headers.get_all(name), name

    def test_requests_without_a_key_go_to_django(self, stack, post):
        assert read(stack.base_url, "/posts/hello-tier/?ref=1").header("X-Cache") == "BYPASS"
        refused = read(stack.base_url, "/posts/hello-tier/", method="POST", body=b"a=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refused.status in (400, 403) and refused.header("X-Cache") == "BYPASS"  # Django answered

    def test_a_missing_page_goes_to_django_once(self, stack):
        page = read(stack.base_url, "/no-such-page/")
        assert (page.status, page.header("X-Cache")) == (404, "MISS")
        again = read(stack.base_url, "/no-such-page/")
        assert (again.status, again.header("X-Cache"), again.body) == (404, "HIT", page.body)
        make_post("Now there", slug="no-such-page")
        assert read(stack.base_url, "/posts/no-such-page/").status == 200

    def test_internal_locations_are_not_reachable(self, stack, post):
        read(stack.base_url, "/posts/hello-tier/")
        key = page_key("site.test", "/posts/hello-tier/")
        assert read(stack.base_url, f"/_cachekeys/page/{key}").status == 404
        assert read(stack.base_url, f"/_cachekeys/page/{grace_key(key)}").status == 404
        assert read(stack.base_url, "/_cachekeys/render").status == 404

    def test_status_reports_the_tier(self, stack, post):
        read(stack.base_url, "/posts/hello-tier/")
        read(stack.base_url, "/posts/hello-tier/")
        status = json.loads(read(stack.base_url, "/_cachekeys/status").body)
        assert status["tier"] is True and status["usable"] is True and status["fills"] >= 1
        assert status["capacity_bytes"] >= 64 * 1024 * 1024 and status["polled_seconds_ago"] < 1


class TestStoredValues:
    """Any status and headers a value carries come back through Nginx, hit after hit."""

    def store(self, uri: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        key = page_key("site.test", uri)
        assert get_pool().set(key, pack(status, headers, compress(body, 6)), expire=60, flags=1)

    def test_a_stored_redirect(self, stack):
        self.store("/old-slug/", 301, [("Content-Type", "text/html; charset=utf-8"),
                                       ("Location", "/posts/new-slug/")], b"")
        for _ in range(3):  # memcached, then the tier
            page = read(stack.base_url, "/old-slug/")
            assert (page.status, page.header("Location"), page.header("X-Cache")) == (301, "/posts/new-slug/", "HIT")
            assert page.header("Content-Length") == "0"

    def test_a_stored_not_found_page_for_every_client(self, stack):
        body = b"<h1>Not here</h1>" * 50
        self.store("/gone/", 404, [("Content-Type", "text/html; charset=utf-8"), ("X-Robots-Tag", "noindex")], body)
        for _ in range(2):
            plain = read(stack.base_url, "/gone/")
            zipped = read(stack.base_url, "/gone/", headers={"Accept-Encoding": "gzip"})
            head = read(stack.base_url, "/gone/", method="HEAD")
            assert (plain.status, plain.body, plain.header("X-Robots-Tag")) == (404, body, "noindex")
            assert (zipped.status, gzip.decompress(zipped.body)) == (404, body)
            assert (head.status, head.body, head.header("Content-Length")) == (404, b"", str(len(body)))

    def test_a_value_in_another_format_is_a_miss_that_django_overwrites(self, stack, post):
        key = page_key("site.test", "/posts/hello-tier/")
        get_pool().set(key, compress(b"raw gzip from an older release", 6), expire=60, flags=1)
        page = read(stack.base_url, "/posts/hello-tier/")
        assert page.header("X-Cache") == "MISS" and b"Hello tier" in page.body
        assert unpack(get_pool().get(key)) is not None


class TestPurges:
    def test_a_save_reaches_every_worker_of_every_front_before_it_returns(self, stack, post):
        warm(stack, "/posts/hello-tier/")
        post.title = "Retitled in the tier test"
        post.save()
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/posts/hello-tier/"):
                assert b"Retitled in the tier test" in page.body, page.header("X-Cache")

    def test_a_save_on_the_app_server_reaches_every_front(self, stack, post, django_user_model):
        django_user_model.objects.create_user("ed", password="s3cret-pass", is_staff=True, is_superuser=True)
        warm(stack, "/posts/hello-tier/")
        browser = log_in(stack.base_url, "ed", "s3cret-pass")
        change = f"{stack.base_url}/admin/blog/post/{post.pk}/change/"
        form = browser.open(change).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = {**admin_data(post, title="Saved through the admin"), "csrfmiddlewaretoken": token}
        browser.open(urllib.request.Request(
            change, data=urllib.parse.urlencode(data, doseq=True).encode(),
            headers={"Referer": change, "Origin": stack.base_url}))
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/posts/hello-tier/"):
                assert b"Saved through the admin" in page.body, page.header("X-Cache")

    def test_a_purge_empties_only_what_it_names(self, stack, post):
        make_post("Other tier post", slug="other-tier")
        warm(stack, "/posts/hello-tier/")
        warm(stack, "/posts/other-tier/")
        forget_in_memcached("/posts/other-tier/")  # served from here on by the tiers alone
        purge_urls(["http://site.test/posts/hello-tier/"])
        for base_url in fronts(stack):
            assert read(base_url, "/posts/hello-tier/").header("X-Cache") in ("MISS", "HIT")
            for page in every_worker(base_url, "/posts/other-tier/"):
                assert page.header("X-Cache") == "HIT"  # still in the tier: not emptied
        assert read(stack.base_url, "/posts/hello-tier/").header("X-Cache") == "HIT"

    def test_a_save_waits_about_two_polls_and_no_ttl(self, stack, post):
        read(stack.base_url, "/posts/hello-tier/")
        began = time.monotonic()
        post.title = "Timed"
        post.save()
        took = time.monotonic() - began
        assert get_config().purge_wait <= took < TTL / 2

    def test_a_restarted_memcached_log_makes_every_front_forget_its_tier(self, stack, post):
        warm(stack, "/posts/hello-tier/")
        _, epoch, _ = log_keys(get_config().key_prefix)
        # A purge whose record went with the restart: memcached forgot the page, no front was told.
        retitle_unpurged(post, "Changed behind everyone's back")
        forget_in_memcached("/posts/hello-tier/")
        pool = get_pool()
        server = pool.servers[0]
        pool.call(server, "set", epoch, b"another-epoch", expire=0, noreply=False)  # as a restart would
        time.sleep(get_config().purge_wait)
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/posts/hello-tier/"):
                assert b"Changed behind" in page.body, page.header("X-Cache")


class TestAFrontThatCannotBeTold:
    def test_stops_serving_from_its_tier(self, stack, post):
        warm(stack, "/posts/hello-tier/")
        stack.memcached[0].pause()  # neither the purge log nor pages can be read
        try:
            # A change no purge can announce: memcached takes no record now.
            retitle_unpurged(post, "Changed while memcached hangs")
            time.sleep(get_config().purge_window + 0.1)
            for base_url in fronts(stack):
                page = read(base_url, "/posts/hello-tier/", timeout=15)
                assert page.header("X-Cache") != "HIT"
                assert page.status == 200 and b"Changed while memcached hangs" in page.body, (
                    page.header("X-Cache"), page.header("X-Cache-Reason"))
        finally:
            stack.memcached[0].resume()

    def test_serves_from_its_tier_again_once_it_can_read_the_log(self, stack, post):
        warm(stack, "/posts/hello-tier/")
        stack.memcached[0].pause()
        time.sleep(get_config().purge_window + 0.1)
        stack.memcached[0].resume()
        time.sleep(get_config().purge_wait)
        forget_in_memcached("/posts/hello-tier/")
        assert read(stack.base_url, "/posts/hello-tier/").header("X-Cache") == "HIT"


class TestWhenDjangoIsDown:
    """Grace copies (GRACE_SECONDS) while gunicorn is stopped, and the site's own 503."""

    @pytest.fixture
    def app_stopped(self, stack):
        yield stack
        stack.app.start()

    def test_an_edited_page_is_served_stale_and_others_get_the_branded_503(self, stack, post, app_stopped):
        first = read(stack.base_url, "/posts/hello-tier/")
        post.title = "Edited before the outage"
        post.save()  # purges the page; its grace copy stays
        stack.app.stop()
        stale = read(stack.base_url, "/posts/hello-tier/")
        assert (stale.status, stale.header("X-Cache")) == (200, "STALE") and stale.body == first.body
        zipped = read(stack.base_url, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip"})
        assert zipped.header("X-Cache") == "STALE" and gzip.decompress(zipped.body) == first.body
        never = read(stack.base_url, "/posts/never-cached/")
        assert never.status == 503 and never.header("Retry-After") == "30"
        assert b"Respawn" in never.body and b"Back in a moment" in never.body
        assert b"nginx" not in never.body.lower()
        admin = read(stack.base_url, "/admin/")
        assert admin.status == 503 and b"Back in a moment" in admin.body

    @pytest.mark.parametrize("change", ["unpublish", "delete"])
    def test_an_unpublished_or_deleted_post_is_never_served_from_any_copy(self, stack, post, app_stopped, change):
        read(stack.base_url, "/posts/hello-tier/")
        home = read(stack.base_url, "/")
        assert b"Hello tier" in home.body
        if change == "unpublish":
            post.status = "draft"
            post.save()
        else:
            post.delete()
        stack.app.stop()
        for uri in ("/posts/hello-tier/", "/"):
            page = read(stack.base_url, uri)
            assert page.status == 503 and b"Hello tier" not in page.body, uri


class TestFragments:
    """Includes of /_fragments/ put in on misses (SSI) and on hits (the tier)."""

    def test_a_miss_and_its_hits_are_assembled_and_memcached_keeps_the_include(self, stack, post):
        miss = read(stack.base_url, "/with-fragment/")
        assert miss.header("X-Cache") == "MISS"
        assert b"<aside>Latest: Hello tier</aside><p>the end</p>" in miss.body and b"<!--#" not in miss.body
        stored = unpack(get_pool().get(page_key("site.test", "/with-fragment/")))
        assert b"<!--# include" in gzip.decompress(stored.body)
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/with-fragment/"):
                assert page.header("X-Cache") == "HIT" and page.body == miss.body
            zipped = read(base_url, "/with-fragment/", headers={"Accept-Encoding": "gzip"})
            assert zipped.header("Content-Encoding") == "gzip" and gzip.decompress(zipped.body) == miss.body
            assert zipped.header("Content-Length") == str(len(zipped.body))

    def test_a_purged_fragment_is_fresh_on_the_next_hit_of_every_page_that_has_it(self, stack, post):
        warm(stack, "/with-fragment/")
        retitle_unpurged(post, "Renamed in the fragment")
        purge_urls(["http://site.test/_fragments/latest/"])
        for base_url in fronts(stack):
            for page in every_worker(base_url, "/with-fragment/"):
                # Assembled again from memcached's copy of the page (never purged by its
                # fragment's change) and the fresh fragment: no render.
                assert page.header("X-Cache") == "HIT"
                assert b"<aside>Latest: Renamed in the fragment</aside>" in page.body
            zipped = read(base_url, "/with-fragment/", headers={"Accept-Encoding": "gzip"})
            assert b"Renamed in the fragment" in gzip.decompress(zipped.body)

    @pytest.mark.parametrize("first", ["gzip", "identity"])
    def test_after_a_fragment_s_purge_both_forms_of_a_page_are_fresh(self, stack, post, first):
        # The tier held the page both gzip and plain; the client that fills it again after
        # the purge wants one form: the other must not stay as it was before the purge.
        for encoding in ("gzip", "identity", "gzip", "identity"):
            read(stack.base_url, "/with-fragment/", headers={"Accept-Encoding": encoding})
        retitle_unpurged(post, "Renamed for both forms")
        purge_urls(["http://site.test/_fragments/latest/"])
        second = "identity" if first == "gzip" else "gzip"
        for encoding in (first, second, second):
            page = read(stack.base_url, "/with-fragment/", headers={"Accept-Encoding": encoding})
            body = gzip.decompress(page.body) if page.header("Content-Encoding") == "gzip" else page.body
            assert page.header("X-Cache") == "HIT" and b"Renamed for both forms" in body, encoding

    def test_only_fragments_are_put_in_on_hits(self, stack):
        read(stack.base_url, "/foreign-include/")
        hit = read(stack.base_url, "/foreign-include/")
        assert hit.header("X-Cache") == "HIT"
        assert hit.body == b'<p>before</p><!--# include virtual="/admin/" --><p>after</p>'

    def test_nginx_asks_for_includes_and_a_client_cannot(self, stack, post):
        direct = fetch(f"http://{stack.app.address}", "/with-fragment/", host="site.test",
                       headers={"X-Cache-Fragments": "no"})
        assert b"<aside>Latest: Hello tier</aside>" in direct.body  # inline without Nginx's header
        forged = read(stack.base_url, "/with-fragment/", headers={"X-Cache-Fragments": "off"})
        assert forged.header("X-Cache") == "MISS" and b"<aside>Latest: Hello tier</aside>" in forged.body
        stored = unpack(get_pool().get(page_key("site.test", "/with-fragment/")))
        assert b"<!--# include" in gzip.decompress(stored.body)  # Nginx's own value reached Django

    def test_a_fragment_requested_by_a_client_is_an_ordinary_page(self, stack, post):
        first = read(stack.base_url, "/_fragments/latest/")
        second = read(stack.base_url, "/_fragments/latest/")
        assert (first.header("X-Cache"), second.header("X-Cache")) == ("MISS", "HIT")
        assert second.body == b"<aside>Latest: Hello tier</aside>"


SHORT_TTL = 1.0


@pytest.fixture(scope="class")
def short_ttl_session(django_db_setup, django_db_blocker) -> Iterator[Stack]:
    with django_db_blocker.unblock(), tier_site(NGINX_FIRST_TIER_TTL=SHORT_TTL) as stack:
        yield stack


@pytest.fixture
def short_ttl(short_ttl_session: Stack, transactional_db) -> Iterator[Stack]:
    with override_settings(CACHEKEYS=tier_settings(short_ttl_session, NGINX_FIRST_TIER_TTL=SHORT_TTL)):
        short_ttl_session.flush()
        yield short_ttl_session


def tier_status(stack: Stack) -> dict:
    return json.loads(read(stack.base_url, "/_cachekeys/status").body)


def past_the_ttl() -> None:
    time.sleep(SHORT_TTL + 0.3)


class TestTheTtl:
    """The TTL bounds how long the tier trusts a copy without asking memcached; asking
    is one read, and only a changed or missing copy in memcached costs a fill."""

    def test_a_page_memcached_still_holds_is_served_again_without_a_fill(self, short_ttl):
        make_post("Hello tier", slug="hello-tier")
        miss = read(short_ttl.base_url, "/posts/hello-tier/")
        read(short_ttl.base_url, "/posts/hello-tier/")  # into the tier
        read(short_ttl.base_url, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip"})
        before = tier_status(short_ttl)
        past_the_ttl()
        plain = read(short_ttl.base_url, "/posts/hello-tier/")
        zipped = read(short_ttl.base_url, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip"})
        after = tier_status(short_ttl)
        assert (plain.header("X-Cache"), zipped.header("X-Cache")) == ("HIT", "HIT")
        assert plain.body == miss.body and gzip.decompress(zipped.body) == miss.body
        assert after["revalidations"] == before["revalidations"] + 1
        assert after["fills"] == before["fills"]

    def test_a_copy_changed_in_memcached_without_a_purge_is_served_once_the_ttl_is_up(self, short_ttl):
        uri, key = "/changed/", page_key("site.test", "/changed/")
        headers = [("Content-Type", "text/html; charset=utf-8")]
        get_pool().set(key, pack(200, headers, compress(b"<p>first</p>", 6)), expire=60, flags=1)
        for _ in range(2):
            assert read(short_ttl.base_url, uri).body == b"<p>first</p>"
        get_pool().set(key, pack(200, headers, compress(b"<p>second</p>", 6)), expire=60, flags=1)
        past_the_ttl()
        for client in ({}, {"Accept-Encoding": "gzip"}):
            page = read(short_ttl.base_url, uri, headers=client)
            body = gzip.decompress(page.body) if client else page.body
            assert (page.header("X-Cache"), body) == ("HIT", b"<p>second</p>")

    def test_a_page_memcached_forgot_goes_to_django_once_the_ttl_is_up(self, short_ttl):
        make_post("Hello tier", slug="hello-tier")
        read(short_ttl.base_url, "/posts/hello-tier/")
        assert read(short_ttl.base_url, "/posts/hello-tier/").header("X-Cache") == "HIT"
        forget_in_memcached("/posts/hello-tier/")
        past_the_ttl()
        assert read(short_ttl.base_url, "/posts/hello-tier/").header("X-Cache") == "MISS"


class TestDefaults:
    def test_the_budget_follows_the_worker_count(self):
        config = get_config()
        assert tier_megabytes(config, "4") == 256 and tier_megabytes(config, "1") == 64
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "NGINX_FIRST_TIER_MB": 500}):
            assert tier_megabytes(get_config(), "4") == 500

    def test_the_default_config_has_the_tier_and_tokens_off_everywhere(self):
        out = io.StringIO()
        call_command("nginx_config", stdout=out)
        text = out.getvalue()
        assert "cachekeys_tier.serve()" in text and "lua_shared_dict cachekeys_pages" in text
        assert text.count("server {") == text.count("server_tokens off;")


class TestConsistencyThroughTheTier(ConsistencyScenario):
    """Every change of the consistency test, with every page also held by the first tier."""

    @pytest.fixture
    def stack(self, tier_session: Stack, transactional_db) -> Iterator[Stack]:
        with override_settings(CACHEKEYS=tier_settings(tier_session)):
            tier_session.flush()
            yield tier_session
