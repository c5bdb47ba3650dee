"""Old addresses answer 301 to where their content moved (Django side; Nginx: test_old_urls)."""
from __future__ import annotations

import pytest
from django.test import Client

from blog.models import OldUrl, Post
from blog.redirects import old_url_params_are_looked_up, record_old_url
from tests.factories import make_category, make_post, make_tag

pytestmark = pytest.mark.django_db


def get(uri: str):
    return Client().get(uri, HTTP_HOST="site.test")


class TestSlugHistory:
    def test_an_old_slug_answers_301_to_the_new_one(self):
        post = make_post("Launch", slug="launch")
        post.slug = "launch-day"
        post.save()
        answer = get("/posts/launch/")
        assert (answer.status_code, answer["Location"]) == (301, "/posts/launch-day/")
        assert get("/posts/launch-day/").status_code == 200

    def test_the_whole_history_points_at_the_current_address(self):
        post = make_post("Launch", slug="one")
        for slug in ("two", "three"):
            post.slug = slug
            post.save()
        assert get("/posts/one/")["Location"] == get("/posts/two/")["Location"] == "/posts/three/"

    def test_moving_back_lets_the_post_own_its_address_again(self):
        post = make_post("Launch", slug="one")
        post.slug = "two"
        post.save()
        post.slug = "one"
        post.save()
        assert get("/posts/one/").status_code == 200
        assert get("/posts/two/")["Location"] == "/posts/one/"
        assert not OldUrl.objects.filter(path="/posts/one/").exists()

    def test_a_new_post_at_an_old_address_wins(self):
        moved = make_post("Moved", slug="old")
        moved.slug = "new"
        moved.save()
        make_post("Another", slug="old")
        assert get("/posts/old/").status_code == 200

    def test_an_unpublished_target_is_a_404_not_a_redirect_to_a_draft(self):
        post = make_post("Launch", slug="a")
        post.slug = "b"
        post.status = Post.Status.DRAFT
        post.save()
        assert get("/posts/a/").status_code == 404

    def test_categories_and_tags_keep_their_old_addresses(self):
        category, tag = make_category("Games"), make_tag("PC")
        make_post("x", category="Games", tags=["PC"])
        category.slug, tag.slug = "gaming", "pc-gaming"
        category.save()
        tag.save()
        assert get("/category/games/")["Location"] == "/category/gaming/"
        assert get("/tag/pc/")["Location"] == "/tag/pc-gaming/"


class TestWordPressIds:
    def test_p_id_answers_301_to_the_imported_post(self):
        make_post("Imported", slug="imported", wordpress_id=123)
        answer = get("/?p=123")
        assert (answer.status_code, answer["Location"]) == (301, "/posts/imported/")

    @pytest.mark.parametrize("uri", ["/?p=999", "/?p=abc", "/?p=", "/?p=0123", "/?p=123&page=2", "/?page_id=4"])
    def test_anything_else_is_a_404_never_the_home_page(self, uri):
        make_post("Imported", slug="imported", wordpress_id=123)
        answer = get(uri)
        assert answer.status_code == 404 and b"not-found-title" in answer.content

    def test_a_draft_is_never_the_target(self):
        make_post("Draft", slug="draft", wordpress_id=5, status=Post.Status.DRAFT)
        assert get("/?p=5").status_code == 404


class TestRows:
    def test_a_row_with_a_fixed_url_and_a_query(self):
        record_old_url("/", "page_id=7", url="/about/")
        answer = get("/?page_id=7")
        assert (answer.status_code, answer["Location"]) == (301, "/about/")

    def test_a_row_to_an_object_follows_it(self):
        post = make_post("Target", slug="target")
        record_old_url("/2013/06/old-permalink/", target=post)
        assert get("/2013/06/old-permalink/")["Location"] == "/posts/target/"

    def test_recording_again_moves_the_row(self):
        first, second = make_post("A", slug="a"), make_post("B", slug="b")
        record_old_url("/old/", target=first)
        record_old_url("/old/", target=second)
        assert OldUrl.objects.count() == 1 and get("/old/")["Location"] == "/posts/b/"

    def test_needs_exactly_one_target(self):
        with pytest.raises(ValueError):
            record_old_url("/x/")


def test_other_parameters_still_get_the_home_page():
    make_post("Home story", slug="home-story")
    assert get("/?ref=mail").status_code == 200


class TestOldParamsAreLookedUp:
    def test_the_project_settings_let_nginx_look_up_every_old_address(self):
        assert old_url_params_are_looked_up() == []

    def test_a_missing_one_is_a_warning_naming_it(self, settings):
        settings.CACHEKEYS = {**settings.CACHEKEYS, "QUERY_PARAMS": ["page", "p"]}
        [warning] = old_url_params_are_looked_up()
        assert warning.id == "blog.W001" and "'page_id'" in warning.hint and "'p'," not in warning.hint
