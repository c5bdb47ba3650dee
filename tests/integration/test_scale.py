"""Two app servers behind one Nginx, sharing memcached and the database.

Nginx picks the app server, so these tests talk to each gunicorn directly for what must
happen on one in particular (store a page, save in the admin), then read through Nginx
as a visitor would. On PostgreSQL (``make test``'s second pass) this is production's
layout; on SQLite both servers open the same file.
"""
from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from django.utils import timezone
from pymemcache.client.base import Client as PymemcacheClient

from blog.models import Post
from cachekeys.keys import page_key
from cachekeys.models import PendingDelete
from cachekeys.store import get_pool
from tests.factories import make_post
from tests.http import Response, fetch
from tests.integration.test_editors import log_in
from tests.integration.test_stampede import assert_one_render, read_together

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-pass"


def render_on(app: str, uri: str) -> Response:
    """GET ``uri`` from one app server as Nginx's miss location sends it (it stores it)."""
    return fetch(f"http://{app}", uri, host="site.test",
                 headers={"X-Cache-Key": page_key("site.test", uri), "X-Request-URI": uri})


def node_holds(server: str, key: str) -> bool:
    host, _, port = server.rpartition(":")
    client = PymemcacheClient((host, int(port)), connect_timeout=1, timeout=1)
    try:
        return client.get(key) is not None
    finally:
        client.close()


def read(site, uri: str) -> Response:
    return fetch(site.base_url, uri, host="site.test")


def form_fields(post: Post) -> dict:
    published = timezone.localtime(post.published_at)
    return {
        "title": post.title, "slug": post.slug, "body": post.body, "excerpt": post.excerpt,
        "status": post.status, "published_at_0": published.strftime("%Y-%m-%d"),
        "published_at_1": published.strftime("%H:%M:%S"), "author": post.author_id,
        "category": post.category_id or "", "tags": [tag.pk for tag in post.tags.all()],
    }


def save_in_admin(app: str, post: Post, **changes) -> None:
    """Log in to one app server's admin and save ``post`` with ``changes`` there."""
    base_url = f"http://{app}"
    browser = log_in(base_url, "ed", PASSWORD)
    url = f"{base_url}/admin/blog/post/{post.pk}/change/"
    form = browser.open(url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({**form_fields(post), **changes, "csrfmiddlewaretoken": token},
                                  doseq=True).encode()
    answer = browser.open(urllib.request.Request(url, data=data, headers={"Referer": url}))
    assert answer.geturl().endswith("/admin/blog/post/"), "the admin did not save"  # redirected


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("ed", password=PASSWORD, is_staff=True,
                                                 is_superuser=True)


class TestTwoAppServers:
    def test_a_save_on_either_purges_pages_the_other_stored(self, make_site, editor):
        site = make_site(app_servers=2)
        first, second = site.nginx.app
        post = make_post("First title", slug="shared", tags=["scale"])
        uris = ["/", post.get_absolute_url()]
        # Each server stores one of the pages; Nginx then serves both from memcached.
        assert render_on(first, uris[0]).header("X-Cache") == "MISS"
        assert render_on(second, uris[1]).header("X-Cache") == "MISS"
        assert [read(site, uri).header("X-Cache") for uri in uris] == ["HIT", "HIT"]

        for app, title in ((first, "Second title"), (second, "Third title")):
            save_in_admin(app, post, title=title)
            post.refresh_from_db()
            # Purged on every node by the server that saved, whichever stored it.
            assert [get_pool().get(page_key("site.test", uri)) for uri in uris] == [None, None]
            for uri in uris:
                miss, hit = read(site, uri), read(site, uri)
                assert (miss.header("X-Cache"), hit.header("X-Cache")) == ("MISS", "HIT"), uri
                assert title.encode() in hit.body and hit.body == miss.body, uri

    def test_a_delete_one_server_missed_is_finished_by_the_other(self, make_site, editor):
        site = make_site(memcached_nodes=2, app_servers=2)
        first, second = site.nginx.app
        post = make_post("Old news", slug="old-news", body="<p>The same body.</p>")
        other = make_post("Elsewhere", slug="elsewhere")
        uri = post.get_absolute_url()
        key = page_key("site.test", uri)
        assert render_on(first, uri).header("X-Cache") == "MISS"
        holder = next(node for node in site.memcached if node.address == get_pool().ring.node_for(key))

        holder.pause()  # hung: the first server's delete times out there
        try:
            save_in_admin(first, post, title="New news")
        finally:
            holder.resume()
        # Recorded in the shared database for whichever server purges next. (A resumed
        # memcached may still run the delete it had queued: the retry is then a no-op.)
        assert set(PendingDelete.objects.values_list("server", "key")) >= {(holder.address, key)}

        # The second server's next purge retries the misses first (so does cache_maintain).
        assert render_on(second, other.get_absolute_url()).header("X-Cache") == "MISS"
        save_in_admin(second, other, title="Elsewhere, edited")
        assert not PendingDelete.objects.filter(key=key).exists()
        assert not node_holds(holder.address, key)
        page = read(site, uri)
        assert b"New news" in page.body and b"Old news" not in page.body

    def test_readers_spread_over_both_servers_still_cause_one_render(self, make_site):
        site = make_site(app_servers=2, workers=2)
        post = make_post("Read everywhere", slug="everywhere")
        # The claim lives in the shared memcached, so both servers' workers wait on it.
        assert_one_render(read_together(site.base_url, post.get_absolute_url()))
