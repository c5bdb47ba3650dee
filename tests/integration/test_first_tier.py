"""Nginx's first tier: hits from each worker's memory, and purges that still reach them.

A site of its own (memcached, gunicorn, Nginx with ``NGINX_FIRST_TIER`` on) whose purge
location both this process and the app server purge, as production would. The last
class runs the whole consistency test (every kind of change, every page) against it.
"""
from __future__ import annotations

import contextlib
import gzip
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from cachekeys.checks import check_settings
from cachekeys.keys import page_key
from cachekeys.purge import purge_urls
from cachekeys.store import get_pool
from cachekeys.testing import Gunicorn, Stack, free_port
from cachekeys.tier import post_purge, purge_first_tier
from tests.conftest import app_env
from tests.factories import make_post
from tests.http import fetch
from tests.integration.test_consistency import TestConsistency as ConsistencyScenario
from tests.integration.test_consistency import admin_data, editor  # noqa: F401 (a fixture)
from tests.integration.test_editors import log_in

pytestmark = pytest.mark.integration

# Long enough that every page of the consistency test is still in the tier when it is
# checked: only purges, never expiry, can keep those pages fresh.
TTL = 60.0
SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy",
                    "X-Frame-Options")


def tier_settings(stack: Stack, ttl: float = TTL, **extra) -> dict:
    return {**settings.CACHEKEYS, "SERVERS": stack.memcached_servers, "NGINX_FIRST_TIER": True,
            "NGINX_FIRST_TIER_TTL": ttl, "NGINX_PURGE_URLS": [purge_url(stack)], **extra}


def purge_url(stack: Stack) -> str:
    return f"{stack.base_url}/_cachekeys/purge"


@contextlib.contextmanager
def first_tier_site(ttl: float = TTL) -> Iterator[Stack]:
    """memcached, one gunicorn and an Nginx with the first tier, all purging it."""
    stack = Stack()
    app = Gunicorn(env={}, log=Path(stack.run_dir) / "gunicorn.log")
    stack.set_app([app.address])
    # Nginx is rendered in this process: the tier must be on here before it starts.
    with override_settings(CACHEKEYS=tier_settings(stack, ttl)), stack:
        app.env = {**app_env(stack), "DJANGO_SETTINGS_MODULE": "tests.integration.first_tier_settings",
                   "NGINX_PURGE_URLS": purge_url(stack)}
        app.start()
        try:
            yield stack
        finally:
            app.stop()


@pytest.fixture(scope="module")
def tier_session(django_db_setup, django_db_blocker) -> Iterator[Stack]:
    with django_db_blocker.unblock(), first_tier_site() as stack:
        yield stack


@pytest.fixture
def stack(tier_session: Stack, transactional_db) -> Iterator[Stack]:
    """The first-tier site, emptied: memcached flushed and every worker's tier forgotten."""
    tier_session.flush()
    assert post_purge(purge_url(tier_session), timeout=2)
    with override_settings(CACHEKEYS=tier_settings(tier_session)):
        yield tier_session


@pytest.fixture
def post(stack):
    return make_post("Hello tier", tags=["pc"], slug="hello-tier")


def forget_in_memcached(uri: str, host: str = "site.test") -> None:
    """Delete a page from memcached behind the first tier's back (no purge)."""
    pool = get_pool()
    for server in pool.servers:
        assert pool.delete_on(server, [page_key(host, uri)])


def read(stack: Stack, uri: str, **options):
    return fetch(stack.base_url, uri, host="site.test", **options)


class TestHits:
    def test_a_hit_is_served_from_the_tier_while_memcached_has_forgotten_it(self, stack, post):
        miss, hit = read(stack, "/posts/hello-tier/"), read(stack, "/posts/hello-tier/")
        assert (miss.header("X-Cache"), hit.header("X-Cache")) == ("MISS", "HIT")
        forget_in_memcached("/posts/hello-tier/")
        from_tier = read(stack, "/posts/hello-tier/")
        assert from_tier.header("X-Cache") == "HIT" and from_tier.body == miss.body

    def test_after_its_ttl_the_tier_reads_memcached_again(self, transactional_db):
        with first_tier_site(ttl=0.5) as short:
            make_post("Hello tier", slug="hello-tier")
            read(short, "/posts/hello-tier/")
            assert read(short, "/posts/hello-tier/").header("X-Cache") == "HIT"
            forget_in_memcached("/posts/hello-tier/")
            assert read(short, "/posts/hello-tier/").header("X-Cache") == "HIT"
            time.sleep(0.7)
            assert read(short, "/posts/hello-tier/").header("X-Cache") == "MISS"

    def test_gzip_and_plain_clients_get_the_same_page_with_the_headers_of_the_miss(self, stack, post):
        miss = read(stack, "/posts/hello-tier/")
        read(stack, "/posts/hello-tier/")  # into the tier
        plain = read(stack, "/posts/hello-tier/")
        zipped = read(stack, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip"})
        assert plain.header("Content-Encoding") is None and plain.body == miss.body
        assert zipped.header("Content-Encoding") == "gzip" and gzip.decompress(zipped.body) == miss.body
        for page in (plain, zipped):
            assert page.header("X-Cache") == "HIT"
            assert page.header("Content-Length") == str(len(page.body))
            assert page.headers.get_all("Vary") == ["Accept-Encoding"]
            assert page.header("Content-Type") == miss.header("Content-Type")
            for name in SECURITY_HEADERS:
                assert page.header(name) == miss.header(name), name

    def test_a_client_refusing_gzip_gets_plain_bytes(self, stack, post):
        plain = read(stack, "/posts/hello-tier/")
        read(stack, "/posts/hello-tier/")
        refused = read(stack, "/posts/hello-tier/", headers={"Accept-Encoding": "gzip;q=0, identity"})
        assert refused.header("Content-Encoding") is None and refused.body == plain.body

    def test_head_is_answered_from_the_tier_with_the_length_of_the_page(self, stack, post):
        page = read(stack, "/posts/hello-tier/")
        read(stack, "/posts/hello-tier/")
        head = read(stack, "/posts/hello-tier/", method="HEAD")
        assert (head.status, head.header("X-Cache"), head.body) == (200, "HIT", b"")
        assert head.header("Content-Length") == str(len(page.body))

    def test_feed_keeps_its_content_type(self, stack, post):
        miss, hit = read(stack, "/feed/"), read(stack, "/feed/")
        assert hit.header("X-Cache") == "HIT" and hit.header("Content-Type") == miss.header("Content-Type")

    def test_requests_without_a_key_go_to_django(self, stack, post):
        assert read(stack, "/posts/hello-tier/?utm=1").header("X-Cache") == "BYPASS"
        refused = read(stack, "/posts/hello-tier/", method="POST", body=b"a=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refused.status == 403 and refused.header("X-Cache") == "BYPASS"  # Django's CSRF check

    def test_a_missing_page_goes_to_django_once(self, stack):
        page = read(stack, "/no-such-page/")
        assert (page.status, page.header("X-Cache")) == (404, "MISS")
        again = read(stack, "/no-such-page/")
        assert (again.status, again.header("X-Cache"), again.body) == (404, "HIT", page.body)
        make_post("Now there", slug="no-such-page")
        assert read(stack, "/posts/no-such-page/").status == 200

    def test_memcached_down_costs_no_reader_a_page(self, transactional_db):
        with first_tier_site(ttl=0.5) as site:
            make_post("Hello tier", slug="hello-tier")
            make_post("Other", slug="other")
            read(site, "/posts/hello-tier/")
            site.memcached[0].kill()
            assert read(site, "/posts/hello-tier/").status == 200  # from the tier, or Django
            page = read(site, "/posts/other/")
            assert (page.status, page.header("X-Cache")) == (200, "BYPASS")  # Django, not stored


class TestPurges:
    def test_a_save_in_this_process_reaches_the_tier_before_it_returns(self, stack, post):
        read(stack, "/posts/hello-tier/")
        assert b"Hello tier" in read(stack, "/posts/hello-tier/").body
        post.title = "Retitled in the tier test"
        post.save()
        page = read(stack, "/posts/hello-tier/")
        assert page.header("X-Cache") == "MISS" and b"Retitled in the tier test" in page.body

    def test_a_save_on_the_app_server_reaches_the_tier(self, stack, post, django_user_model):
        django_user_model.objects.create_user("ed", password="s3cret-pass", is_staff=True, is_superuser=True)
        read(stack, "/posts/hello-tier/")
        read(stack, "/posts/hello-tier/")
        browser = log_in(stack.base_url, "ed", "s3cret-pass")
        change = f"{stack.base_url}/admin/blog/post/{post.pk}/change/"
        form = browser.open(change).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = {**admin_data(post, title="Saved through the admin"), "csrfmiddlewaretoken": token}
        browser.open(urllib.request.Request(
            change, data=urllib.parse.urlencode(data, doseq=True).encode(),
            headers={"Referer": change, "Origin": stack.base_url}))
        page = read(stack, "/posts/hello-tier/")
        assert b"Saved through the admin" in page.body, page.header("X-Cache")

    def test_a_purge_by_url_reaches_the_tier(self, stack, post):
        read(stack, "/posts/hello-tier/")
        read(stack, "/posts/hello-tier/")
        purge_urls(["http://site.test/posts/hello-tier/"])
        assert read(stack, "/posts/hello-tier/").header("X-Cache") == "MISS"

    def test_the_purge_location_takes_posts_only(self, stack):
        assert read(stack, "/_cachekeys/purge").status == 405
        first = fetch(stack.base_url, "/_cachekeys/purge", method="POST", body=b"")
        second = fetch(stack.base_url, "/_cachekeys/purge", method="POST", body=b"")
        assert first.status == second.status == 200
        assert int(second.body) == int(first.body) + 1

    def test_internal_reads_of_memcached_are_not_reachable(self, stack, post):
        read(stack, "/posts/hello-tier/")
        key = page_key("site.test", "/posts/hello-tier/")
        assert read(stack, f"/_cachekeys/page/{key}").status == 404


class TestUnreachableNginx:
    def test_is_waited_out_for_its_ttl(self, stack):
        nowhere = f"http://127.0.0.1:{free_port()}/_cachekeys/purge"
        with override_settings(CACHEKEYS=tier_settings(stack, NGINX_FIRST_TIER_TTL=0.4,
                                                       NGINX_PURGE_URLS=[purge_url(stack), nowhere])):
            began = time.monotonic()
            assert purge_first_tier(deleted_at=began) == [nowhere]
            assert time.monotonic() - began >= 0.4

    def test_a_reached_nginx_costs_no_wait(self, stack):
        began = time.monotonic()
        assert purge_first_tier(deleted_at=began) == []
        assert time.monotonic() - began < 0.4

    def test_nothing_is_sent_with_the_tier_off(self, stack):
        off = tier_settings(stack, NGINX_FIRST_TIER=False, NGINX_PURGE_URLS=["http://192.0.2.1/x"])
        with override_settings(CACHEKEYS=off):
            assert purge_first_tier(deleted_at=time.monotonic()) == []


class TestConfig:
    def test_rendered_config_with_the_tier_is_accepted_by_nginx(self, tmp_path):
        from django.core.management import call_command

        tmp_path.chmod(0o755)
        tier = {**settings.CACHEKEYS, "NGINX_FIRST_TIER": True, "NGINX_PURGE_URLS": ["http://10.0.0.5/_cachekeys/purge"],
                "NGINX_PURGE_ALLOW": ["10.0.0.0/24"]}
        with override_settings(CACHEKEYS=tier), open(tmp_path / "nginx.conf", "w") as out:
            call_command("nginx_config", "--standalone", f"--run-dir={tmp_path}", "--listen=127.0.0.1:18990",
                         "--app=127.0.0.1:18991", "--memcached=127.0.0.1:18992", stdout=out)
        text = (tmp_path / "nginx.conf").read_text()
        assert "allow 10.0.0.0/24;" in text and text.count("location = /_cachekeys/purge") == 2
        result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    def test_checks_name_each_misconfiguration(self):
        bad = {**settings.CACHEKEYS, "NGINX_FIRST_TIER": True, "NGINX_PURGE_URLS": [],
               "NGINX_PURGE_ALLOW": ["10.0.0.300"], "NGINX_FIRST_TIER_TTL": 0}
        with override_settings(CACHEKEYS=bad):
            assert [error.id for error in check_settings()] == [
                "cachekeys.E023", "cachekeys.E022", "cachekeys.E020"]
        with override_settings(CACHEKEYS={**bad, "NGINX_PURGE_URLS": ["https://x/p", "http://x/p"],
                                          "NGINX_PURGE_ALLOW": [], "NGINX_FIRST_TIER_TTL": 30}):
            assert [error.id for error in check_settings()] == ["cachekeys.E021", "cachekeys.W020"]


class TestConsistencyThroughTheTier(ConsistencyScenario):
    """Every change of the consistency test, with every page also held by the first tier."""
