"""Purging by surrogate key against real memcached nodes, and the stale-set guard."""
from __future__ import annotations

import io
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from pymemcache.client.base import Client as Memcache

from cachekeys.keys import page_key
from cachekeys.models import CachedPage, PendingDelete
from cachekeys.purge import purge_all, purge_tags, purge_urls
from cachekeys.records import record_page
from cachekeys import deletes as deletes_module
from cachekeys.deletes import retry_pending
from cachekeys.store import get_pool
from cachekeys.testing import Memcached

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nodes():
    started = [Memcached().start() for _ in range(2)]
    with override_settings(ROOT_URLCONF="tests.cachekeys.urls",
                           CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [n.address for n in started]}):
        yield started
    for node in started:
        node.stop()


def stored_page(uri: str, tags: set[str]) -> str:
    key = page_key("site.test", uri)
    record_page(key, "site.test", uri, tags, ttl=60)
    assert get_pool().set(key, b"old page", expire=60, flags=1)
    return key


def on_node(node: Memcached, method: str, *args):
    """Call memcached ``node`` directly, bypassing the ring."""
    client = Memcache(("127.0.0.1", node.port), connect_timeout=1, timeout=1)
    try:
        return getattr(client, method)(*args)
    finally:
        client.close()


class TestPurgeTags:
    def test_deletes_every_page_with_the_tag_and_no_other(self, nodes):
        a = stored_page("/a/", {"blog.post:1", "blog.posts:all"})
        b = stored_page("/b/", {"blog.post:1"})
        c = stored_page("/c/", {"blog.post:2"})
        report = purge_tags({"blog.post:1"})
        assert report.keys == {a, b} and report.failed_servers == []
        pool = get_pool()
        assert pool.get(a) is None and pool.get(b) is None and pool.get(c) == b"old page"
        assert set(CachedPage.objects.values_list("key", flat=True)) == {c}

    def test_one_round_trip_per_node(self, nodes):
        for i in range(20):
            stored_page(f"/p{i}/", {"blog.posts:all"})
        with mock.patch("pymemcache.client.base.Client.delete_many", autospec=True,
                        return_value=True) as delete_many:
            purge_tags({"blog.posts:all"})
        assert delete_many.call_count == len(nodes)
        # The pages, and the token kept 404s hang on (cachekeys.missing).
        assert all(len(call.args[1]) == 21 for call in delete_many.call_args_list)

    def test_purge_all_leaves_other_sites_keys_alone(self, nodes):
        ours = stored_page("/ours/", {"blog.posts:all"})
        for node in nodes:
            on_node(node, "set", "someone-elses-key", b"theirs")
        purge_all()
        assert get_pool().get(ours) is None
        assert all(on_node(node, "get", "someone-elses-key") == b"theirs" for node in nodes)

    def test_purge_urls_reaches_unrecorded_pages(self, nodes):
        key = page_key("site.test", "/x/?page=2")
        get_pool().set(key, b"old", expire=60, flags=1)
        purge_urls(["http://SITE.TEST:80/x/?page=2"])
        assert get_pool().get(key) is None


class TestNothingLost:
    def test_a_node_that_missed_a_purge_is_cleaned_when_it_returns(self, nodes):
        key = stored_page("/held/", {"blog.post:7"})
        holder = next(n for n in nodes if on_node(n, "get", key) is not None)
        pool = get_pool()
        real_delete_on = pool.delete_on

        def partitioned(server, keys):  # the holder is cut off: its deletes never arrive
            return False if server == holder.address else real_delete_on(server, keys)

        with mock.patch.object(pool, "delete_on", side_effect=partitioned):
            report = purge_tags({"blog.post:7"})
        assert report.failed_servers == [holder.address]
        assert PendingDelete.objects.filter(server=holder.address, key=key).exists()
        assert on_node(holder, "get", key) == b"old page"  # back, and still holding it
        assert retry_pending() == 0
        assert on_node(holder, "get", key) is None

    def test_pending_deletes_wait_for_the_node(self, nodes):
        key = stored_page("/gone/", {"blog.post:8"})
        nodes[0].kill()
        purge_tags({"blog.post:8"})
        assert retry_pending() >= 1
        assert PendingDelete.objects.filter(server=nodes[0].address, key=key).exists()


class TestStaleSet:
    """A render that read the database before a purge must not leave its page stored."""

    def via_nginx(self, uri: str):
        return Client().get(uri, HTTP_HOST="site.test", HTTP_X_CACHE_KEY=page_key("site.test", uri),
                            HTTP_X_REQUEST_URI=uri)

    def test_purge_during_render_is_seen_before_storing(self, nodes):
        key = page_key("site.test", "/slow/")
        with mock.patch("tests.cachekeys.urls.during_render",
                        side_effect=lambda request: purge_tags({f"cachekeys.page:{key}"})):
            response = self.via_nginx("/slow/")
        assert (response["X-Cache"], response["X-Cache-Reason"]) == ("BYPASS", "purged during render")
        assert get_pool().get(key) is None

    def test_purge_between_check_and_store_is_undone(self, nodes):
        key = page_key("site.test", "/slow/")
        pool = get_pool()
        real_set = pool.set

        def purge_then_set(*args, **kwargs):
            purge_tags({f"cachekeys.page:{key}"})  # lands after the first check, before the set
            return real_set(*args, **kwargs)

        with mock.patch.object(pool, "set", side_effect=purge_then_set):
            response = self.via_nginx("/slow/")
        assert response["X-Cache-Reason"] == "purged during render"
        assert get_pool().get(key) is None

    def test_a_page_stored_while_a_purge_waits_keeps_its_record(self, nodes):
        # The purge's deletes wait for the Nginx tiers; a render that began after the purge
        # was numbered stores its fresh page meanwhile. The next purge must still find it.
        key = stored_page("/page/", {"blog.tag:3"})
        real_delete = deletes_module.delete_everywhere

        def delete_then_render(*args, **kwargs):
            failed = real_delete(*args, **kwargs)
            assert self.via_nginx("/page/")["X-Cache"] == "MISS"  # rendered and stored after the purge
            return failed

        with mock.patch("cachekeys.purge.delete_everywhere", side_effect=delete_then_render):
            purge_tags({"blog.tag:3"})
        assert get_pool().get(key) is not None and CachedPage.objects.filter(key=key).exists()
        purge_tags({f"cachekeys.page:{key}"})  # every stored page carries its own tag
        assert get_pool().get(key) is None

    def test_unrelated_purge_does_not_stop_the_store(self, nodes):
        with mock.patch("tests.cachekeys.urls.during_render",
                        side_effect=lambda request: purge_tags({"blog.post:999"})):
            response = self.via_nginx("/slow/")
        assert response["X-Cache"] == "MISS"


class TestCommand:
    def run(self, *args: str) -> str:
        out = io.StringIO()
        call_command("cache_purge", *args, stdout=out)
        return out.getvalue()

    def test_by_tag_url_and_all(self, nodes):
        stored_page("/t/", {"blog.tag:3"})
        assert self.run("--tag", "blog.tag:3") == "Purged 1 page.\n"
        stored_page("/u/", set())
        assert self.run("--url", "http://site.test/u/") == "Purged 1 page.\n"
        stored_page("/v/", set())
        stored_page("/w/", set())
        assert self.run("--all") == "Purged 2 pages.\n"

    def test_needs_exactly_one_choice(self, nodes):
        with pytest.raises(CommandError):
            self.run()
        with pytest.raises(CommandError):
            self.run("--all", "--tag", "x")

    def test_bad_url_is_a_command_error(self, nodes):
        with pytest.raises(CommandError, match="not an absolute"):
            self.run("--url", "/relative/")

    def test_unreachable_node_is_reported(self, nodes):
        stored_page("/r/", {"blog.tag:4"})
        nodes[1].kill()
        with pytest.raises(CommandError, match="unreachable"):
            self.run("--tag", "blog.tag:4")
