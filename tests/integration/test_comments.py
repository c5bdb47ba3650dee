"""Comments through real Nginx: pending never in a shared page; approval purges exactly it."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from blog.models import Comment
from tests.factories import make_page, make_post
from tests.http import fetch

pytestmark = pytest.mark.integration

FORM = {"author_name": "Rin", "author_email": "rin@example.com", "body": "Secret pending words"}


def post_form(base_url: str, uri: str, fields: dict):
    return fetch(base_url, uri, method="POST", body=urllib.parse.urlencode(fields).encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})


class TestCommentsThroughNginx:
    def test_submission_to_approval_to_the_purged_page(self, stack):
        make_post("Talked about", slug="talked")
        other = make_post("Elsewhere", slug="elsewhere", category="Hardware")
        for uri in ["/posts/talked/", "/posts/elsewhere/", "/"]:
            fetch(stack.base_url, uri)
        assert fetch(stack.base_url, "/posts/talked/").header("X-Cache") == "HIT"

        answer = post_form(stack.base_url, "/posts/talked/", FORM)
        assert answer.status == 200 and "awaiting moderation" in answer.text
        assert "Secret pending words" in answer.text  # to its author only
        api = fetch(stack.base_url, "/api/v1/comment/", method="POST",
                    body=json.dumps({"post": Comment.objects.get().post_id, **FORM, "body": "Via the API"}).encode(),
                    headers={"Content-Type": "application/json"})
        assert api.status == 201 and api.header("X-Cache") == "BYPASS"

        shared = fetch(stack.base_url, "/posts/talked/")
        assert shared.header("X-Cache") == "HIT"  # nothing pending reached it, nor purged it
        assert "Secret pending words" not in shared.text and "Via the API" not in shared.text

        comment = Comment.objects.get(body="Secret pending words")
        comment.status = Comment.Status.APPROVED
        comment.save()
        fresh = fetch(stack.base_url, "/posts/talked/")
        assert fresh.header("X-Cache") == "MISS" and "Secret pending words" in fresh.text
        assert "Via the API" not in fresh.text and "rin@example.com" not in fresh.text
        home = fetch(stack.base_url, "/")
        assert home.header("X-Cache") == "MISS" and "1 comment" in home.text
        # Another section's story showed neither the comment nor its count: still cached.
        assert fetch(stack.base_url, f"/posts/{other.slug}/").header("X-Cache") == "HIT"

    def test_rate_limit_is_shared_by_the_app_servers_workers(self, stack, settings):
        post = make_post("Busy", slug="busy")
        codes = [post_form(stack.base_url, "/posts/busy/", {**FORM, "body": f"Comment {i}"}).status
                 for i in range(6)]
        assert codes == [200] * 5 + [429]
        assert Comment.objects.filter(post=post).count() == 5

    def test_junk_posts_are_4xx_never_5xx(self, stack):
        make_post("Target", slug="target")
        for body in [b"\xff\xfe", b"author_name=" + b"x" * 5000, b"parent=abc&body=x"]:
            answer = fetch(stack.base_url, "/posts/target/", method="POST", body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert 400 <= answer.status < 500


class TestFooterPages:
    def test_publishing_a_footer_page_refreshes_every_cached_page(self, stack):
        # The footer is a shared part (/_fragments/footer/): its purge refreshes every page
        # that includes it, while the pages themselves stay cached and are assembled anew.
        make_post("Story", slug="story")
        for uri in ["/", "/posts/story/"]:
            fetch(stack.base_url, uri)
        assert fetch(stack.base_url, "/").header("X-Cache") == "HIT"
        assert fetch(stack.base_url, "/about/").status == 404
        make_page("About us", "about")
        for uri in ["/", "/posts/story/"]:
            page = fetch(stack.base_url, uri)
            assert page.header("X-Cache") == "HIT" and '<a href="/about/">About us</a>' in page.text, uri
        about = fetch(stack.base_url, "/about/")
        assert about.status == 200 and "Who we are." in about.text
        assert fetch(stack.base_url, "/about/").header("X-Cache") == "HIT"


class TestSearchThroughNginx:
    def test_search_pages_are_never_stored_and_forms_are_not_redirected(self, stack):
        make_post("Speedrunning the classics", slug="speedrun")
        for uri in ["/search/?q=speedrunning+classics", "/search/?q=speedrunning%20classics"]:
            for _ in range(2):
                answer = fetch(stack.base_url, uri)
                assert answer.status == 200 and answer.header("X-Cache") == "BYPASS", uri
                assert "<mark>Speedrunning</mark>" in answer.text
        assert fetch(stack.base_url, "/search/?q=%00%ff").status == 200
