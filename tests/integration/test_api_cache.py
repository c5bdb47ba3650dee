"""The JSON API through real Nginx, memcached and gunicorn: cached like pages, purged with posts."""
from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest

from tests.factories import make_category, make_post
from tests.http import Response, fetch

pytestmark = pytest.mark.integration

JSON = "application/json"
HEADERS_THAT_MATTER = ("Content-Type", "X-Content-Type-Options", "Referrer-Policy",
                       "Cross-Origin-Opener-Policy", "X-Frame-Options")


def api(stack, uri: str, **options) -> Response:
    return fetch(stack.base_url, uri, host="site.test", **options)


def miss_then_hit(stack, uri: str) -> tuple[Response, Response]:
    first, second = api(stack, uri), api(stack, uri)
    assert (first.status, first.header("X-Cache")) == (200, "MISS"), first.header("X-Cache-Reason")
    assert (second.status, second.header("X-Cache")) == (200, "HIT")
    return first, second


def titles(response: Response) -> list[str]:
    return [post["title"] for post in json.loads(response.text)["objects"]]


@pytest.fixture
def posts(stack):
    return [make_post(f"Story {n}", ago=timedelta(hours=n + 1), tags=["retro"]) for n in range(12)]


class TestCachedLikePages:
    def test_list_miss_then_hit_both_json(self, stack, posts):
        miss, hit = miss_then_hit(stack, "/api/v1/post/")
        assert miss.header("Content-Type") == hit.header("Content-Type") == JSON
        assert hit.body == miss.body and titles(hit)[0] == "Story 0"
        for name in HEADERS_THAT_MATTER:
            assert hit.header(name) == miss.header(name), name

    def test_paging_parameters_are_cached(self, stack, posts):
        miss, hit = miss_then_hit(stack, "/api/v1/post/?limit=5&offset=5")
        assert titles(hit) == [f"Story {n}" for n in range(5, 10)]
        assert json.loads(hit.text)["meta"]["next"] == "/api/v1/post/?limit=5&offset=10"

    def test_filters_and_details_are_cached(self, stack, posts):
        miss_then_hit(stack, "/api/v1/post/?tag=retro&limit=2")
        miss_then_hit(stack, f"/api/v1/post/{posts[0].pk}/")
        miss_then_hit(stack, "/api/v1/tag/")

    def test_the_script_next_link_is_served_from_the_cache_once_fetched(self, stack, posts):
        home = api(stack, "/").text
        assert 'data-next="/api/v1/post/?limit=10&amp;offset=10"' in home
        miss, hit = miss_then_hit(stack, "/api/v1/post/?limit=10&offset=10")
        assert titles(hit) == ["Story 10", "Story 11"]

    def test_gzip_clients_get_the_stored_bytes(self, stack, posts):
        plain = api(stack, "/api/v1/post/")
        zipped = api(stack, "/api/v1/post/", headers={"Accept-Encoding": "gzip"})
        assert zipped.header("X-Cache") == "HIT" and zipped.header("Content-Encoding") == "gzip"
        assert gzip.decompress(zipped.body) == plain.body

    def test_head_on_a_miss_and_on_a_hit(self, stack, posts):
        miss = api(stack, "/api/v1/category/", method="HEAD")
        assert (miss.status, miss.body, miss.header("Content-Type")) == (200, b"", JSON)
        api(stack, "/api/v1/category/")
        hit = api(stack, "/api/v1/category/", method="HEAD")
        assert (hit.status, hit.header("X-Cache"), hit.body) == (200, "HIT", b"")


class TestNeverCached:
    def test_a_parameter_outside_the_allow_list_bypasses(self, stack, posts):
        for _ in range(2):
            answer = api(stack, "/api/v1/post/?foo=1")
            assert (answer.status, answer.header("X-Cache")) == (400, "BYPASS")
            assert answer.header("Content-Type") == JSON and "error" in json.loads(answer.text)

    @pytest.mark.parametrize("uri", ["/api/v1/post/?limit=-1", "/api/v1/post/?offset=abc"])
    def test_bad_values_are_400_and_never_stored(self, stack, posts, uri):
        for _ in range(2):
            answer = api(stack, uri)
            assert (answer.status, answer.header("X-Cache")) == (400, "BYPASS")
            assert set(json.loads(answer.text)) == {"error"}

    def test_me_is_never_a_hit_even_for_anonymous_readers(self, stack):
        for _ in range(3):
            answer = api(stack, "/api/v1/me/")
            assert answer.status == 200 and answer.header("X-Cache") == "BYPASS"
            assert answer.header("X-Cache-Reason") == "bypassed path"
            assert "no-cache" in answer.header("Cache-Control")
            assert json.loads(answer.text)["editor"] is False

    def test_a_draft_is_404_and_never_stored(self, stack):
        draft = make_post("Not yet", status="draft")
        # Kept by Nginx itself (cachekeys.missing), never in memcached; publishing drops it.
        for cache in ("MISS", "HIT"):
            answer = api(stack, f"/api/v1/post/{draft.pk}/")
            assert (answer.status, answer.header("X-Cache")) == (404, cache)
            assert answer.header("Content-Type") == "application/json"
        draft.status = "published"
        draft.save()
        assert api(stack, f"/api/v1/post/{draft.pk}/").status == 200


class TestPurgedWithThePosts:
    """A save commits, then purges every cached answer that showed what changed."""

    def test_a_new_title_replaces_the_cached_list(self, stack, posts):
        miss_then_hit(stack, "/api/v1/post/")
        post = posts[0]
        post.title = "Retitled story"
        post.save()
        fresh = api(stack, "/api/v1/post/")
        assert fresh.header("X-Cache") == "MISS"
        assert titles(fresh)[0] == "Retitled story" and "Story 0" not in titles(fresh)

    def test_a_new_title_replaces_the_cached_detail(self, stack, posts):
        post = posts[3]
        miss_then_hit(stack, f"/api/v1/post/{post.pk}/")
        post.title = "Detail retitled"
        post.save()
        assert json.loads(api(stack, f"/api/v1/post/{post.pk}/").text)["title"] == "Detail retitled"

    def test_a_post_published_in_a_subcategory_joins_the_parent_list(self, stack):
        games = make_category("Games")
        make_category("PC", parent=games)
        make_post("Older in games", category="Games", ago=timedelta(days=1))
        miss_then_hit(stack, "/api/v1/post/?category=games")
        make_post("New on PC", category="PC")
        fresh = api(stack, "/api/v1/post/?category=games")
        assert titles(fresh) == ["New on PC", "Older in games"]

    def test_an_unpublished_post_leaves_the_tag_lists(self, stack, posts):
        miss_then_hit(stack, "/api/v1/post/?tag=retro&limit=20")
        miss_then_hit(stack, "/api/v1/tag/")
        for post in posts:
            post.status = "draft"
            post.save()
        assert json.loads(api(stack, "/api/v1/post/?tag=retro&limit=20").text)["objects"] == []
        assert json.loads(api(stack, "/api/v1/tag/").text)["objects"] == []
