"""The admin's view of the page cache: which pages show a post, and purging them."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from cachekeys.keys import page_key
from cachekeys.records import record_page
from cachekeys.store import get_pool
from tests.factories import make_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cache_at(memcached):
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [memcached.address]}):
        yield memcached


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def cache_page_showing(post, uri: str) -> str:
    key = page_key("site.test", uri)
    record_page(key, "site.test", uri, {f"blog.post:{post.pk}"}, ttl=60)
    get_pool().set(key, b"page", expire=60, flags=1)
    return key


class TestPostAdmin:
    def test_change_form_lists_the_cached_pages_showing_the_post(self, cache_at, editor):
        post = make_post("Shown")
        cache_page_showing(post, "/category/news/?page=2")
        page = editor.get(f"/admin/blog/post/{post.pk}/change/").content.decode()
        assert "Cached pages showing it" in page
        assert "site.test/category/news/?page=2" in page

    def test_purge_action_deletes_those_pages(self, cache_at, editor):
        post = make_post("Purge me")
        key = cache_page_showing(post, "/")
        response = editor.post("/admin/blog/post/", {"action": "purge_cached_pages",
                                                      "_selected_action": [post.pk]}, follow=True)
        assert "Purged 1 cached page." in response.content.decode()
        assert get_pool().get(key) is None
