"""The pages' side of the dynamic bits: mount points for site.js, the same bytes for everyone."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from pytest_django.asserts import assertContains, assertNotContains

from blog.views import POSTS_PER_PAGE

pytestmark = pytest.mark.django_db

SCRIPT = Path(settings.BASE_DIR) / "blog" / "static" / "blog" / "js" / "site.js"
LOAD_MORE = re.compile(r'<button[^>]*class="button load-more"[^>]*>Load more</button>')


def load_more_button(html: str) -> str | None:
    found = LOAD_MORE.search(html)
    return found.group(0) if found else None


class TestMountPoints:
    def test_every_page_carries_the_script_and_an_empty_hidden_editor_bar(self, client):
        response = client.get("/")
        assertContains(response, '<script src="/static/blog/js/site.js" defer></script>', html=True)
        assertContains(response, '<link rel="stylesheet" href="/static/blog/css/dynamic.css">', html=True)
        assertContains(response, '<div id="editor-bar" class="editor-bar" role="region" '
                                 'aria-label="Editor tools" hidden></div>', html=True)

    def test_home_has_a_hidden_load_more_button_for_the_next_page(self, client, make_post):
        for n in range(POSTS_PER_PAGE + 3):
            make_post(ago=timedelta(hours=n + 1))
        html = client.get("/").content.decode()
        button = load_more_button(html)
        assert button is not None and " hidden" in button and 'aria-controls="story-grid"' in button
        assert f'data-next="/api/v1/post/?limit={POSTS_PER_PAGE}&amp;offset={POSTS_PER_PAGE}"' in button
        assert 'id="story-grid"' in html
        assert 'href="?page=2"' in html  # the pagination stays for readers without JavaScript

    def test_the_second_page_continues_after_itself(self, client, make_post):
        for n in range(2 * POSTS_PER_PAGE + 1):
            make_post(ago=timedelta(hours=n + 1))
        button = load_more_button(client.get("/?page=2").content.decode())
        assert f"offset={2 * POSTS_PER_PAGE}" in button

    def test_no_button_when_everything_is_shown(self, client, make_post):
        for n in range(3):
            make_post(ago=timedelta(hours=n + 1))
        assert load_more_button(client.get("/").content.decode()) is None

    def test_the_post_page_names_its_post(self, client, make_post):
        post = make_post()
        assertContains(client.get(post.get_absolute_url()), f'<article class="article" data-post-id="{post.pk}">')


class TestSameBytesForEveryone:
    def test_an_editor_is_served_the_page_readers_get(self, client, make_post, admin_user):
        post = make_post()
        for uri in ("/", post.get_absolute_url()):
            anonymous = client.get(uri).content
            client.force_login(admin_user)
            editor = client.get(uri).content
            client.logout()
            assert editor == anonymous, uri

    def test_nothing_about_editors_is_in_the_html(self, client, make_post, admin_user):
        post = make_post()
        client.force_login(admin_user)
        response = client.get(post.get_absolute_url())
        for text in ("Edit this post", "Logged in as", "/admin/", admin_user.get_username()):
            assertNotContains(response, text)


class TestScript:
    def test_api_data_never_goes_through_html_parsing(self):
        source = SCRIPT.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, sink

    def test_it_asks_me_with_the_session_and_the_lists_without(self):
        source = SCRIPT.read_text()
        assert 'getJSON(ME_URL + query, "same-origin")' in source
        assert 'getJSON(button.dataset.next, "omit")' in source
