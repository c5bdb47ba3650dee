"""Old addresses through Nginx: a 301 is stored, served by Nginx, and purged when its target moves."""
from __future__ import annotations

import pytest

from blog.models import Post
from blog.redirects import record_old_url
from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


def get(stack, uri: str):
    return fetch(stack.base_url, uri, host="site.test")


def test_an_old_slug_answers_301_through_nginx_and_follows_the_post(stack):
    post = make_post("Launch", slug="launch")
    post.slug = "launch-day"
    post.save()
    assert get(stack, "/posts/launch/").header("Location") == "/posts/launch-day/"
    post.slug = "launch-week"
    post.save()
    assert get(stack, "/posts/launch/").header("Location") == "/posts/launch-week/"
    post.status = Post.Status.DRAFT
    post.save()
    assert get(stack, "/posts/launch/").status == 404


def test_an_old_slug_is_a_stored_301_that_follows_the_post(stack):
    post = make_post("Launch", slug="launch")
    post.slug = "launch-day"
    post.save()
    first, again = get(stack, "/posts/launch/"), get(stack, "/posts/launch/")
    assert (first.status, first.header("Location"), first.header("X-Cache")) == (301, "/posts/launch-day/", "MISS")
    assert (again.status, again.header("Location"), again.header("X-Cache")) == (301, "/posts/launch-day/", "HIT")
    assert get_pool().get(page_key("site.test", "/posts/launch/")) is not None
    post.slug = "launch-week"
    post.save()
    moved = get(stack, "/posts/launch/")
    assert (moved.status, moved.header("Location")) == (301, "/posts/launch-week/")
    post.status = Post.Status.DRAFT
    post.save()
    assert get(stack, "/posts/launch/").status == 404


def test_wordpress_p_id_stored(stack):
    make_post("Imported", slug="imported", wordpress_id=123)
    for cache in ("MISS", "HIT"):
        answer = get(stack, "/?p=123")
        assert (answer.status, answer.header("Location"), answer.header("X-Cache")) == (301, "/posts/imported/", cache)
    missing = get(stack, "/?p=999")
    assert missing.status == 404 and b"not-found-title" in missing.body
    make_post("Later", slug="later", wordpress_id=999)
    assert get(stack, "/?p=999").header("Location") == "/posts/later/"


def test_a_row_recorded_later_replaces_a_kept_404(stack):
    target = make_post("Target", slug="target")
    assert get(stack, "/2013/06/old-permalink/").status == 404
    assert get(stack, "/2013/06/old-permalink/").header("X-Cache") == "HIT"
    record_old_url("/2013/06/old-permalink/", target=target)
    answer = get(stack, "/2013/06/old-permalink/")
    assert (answer.status, answer.header("Location")) == (301, "/posts/target/")


def test_wordpress_p_id(stack):
    make_post("Imported", slug="imported", wordpress_id=123)
    answer = get(stack, "/?p=123")
    assert (answer.status, answer.header("Location")) == (301, "/posts/imported/")
    assert get(stack, "/?p=999").status == 404
    make_post("Later", slug="later", wordpress_id=999)
    assert get(stack, "/?p=999").header("Location") == "/posts/later/"


def test_wordpress_search_address_goes_to_search(stack):
    answer = get(stack, "/?s=quantum+hearth")
    assert (answer.status, answer.header("Location")) == (301, "/search/?q=quantum+hearth")


def test_wordpress_reply_links_are_a_kept_301_to_the_page(stack):
    make_post("Discussed", slug="discussed")
    first, again = (get(stack, "/posts/discussed/?replytocom=12") for _ in range(2))
    assert (first.status, first.header("Location"), first.header("X-Cache")) == (301, "/posts/discussed/", "MISS")
    assert (again.status, again.header("Location"), again.header("X-Cache")) == (301, "/posts/discussed/", "HIT")
