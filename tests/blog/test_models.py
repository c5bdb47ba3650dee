"""The models: what counts as public, URLs, and the fields Post.save() derives."""
from __future__ import annotations

from datetime import timedelta

import pytest

from blog.models import Category, Post, Tag


@pytest.mark.django_db
class TestPublicQuerySet:
    def test_published_post_in_the_past_is_public(self, make_post):
        post = make_post(ago=timedelta(minutes=1))
        assert list(Post.objects.public()) == [post]
        assert post.is_public

    def test_draft_is_not_public(self, make_post):
        post = make_post(status=Post.Status.DRAFT)
        assert not Post.objects.public().exists()
        assert not post.is_public

    def test_published_post_dated_in_the_future_is_not_public(self, make_post):
        post = make_post(ago=-timedelta(days=1))
        assert not Post.objects.public().exists()
        assert not post.is_public

    def test_public_posts_are_newest_first(self, make_post):
        old = make_post(ago=timedelta(days=3))
        new = make_post(ago=timedelta(days=1))
        assert list(Post.objects.public()) == [new, old]


@pytest.mark.django_db
class TestAbsoluteUrls:
    def test_post_url(self, make_post):
        assert make_post(slug="hello-world").get_absolute_url() == "/posts/hello-world/"

    def test_category_url(self, pc: Category):
        assert pc.get_absolute_url() == "/category/pc/"

    def test_tag_url(self):
        assert Tag.objects.create(name="RPG", slug="rpg").get_absolute_url() == "/tag/rpg/"


@pytest.mark.django_db
class TestPostSave:
    def test_scripts_and_event_handlers_are_removed(self, make_post):
        post = make_post(
            body='<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:x()">x</a></p>'
        )
        assert "<script" not in post.body_html
        assert "alert(1)" not in post.body_html
        assert "onclick" not in post.body_html
        assert "javascript:" not in post.body_html
        assert post.body_html.startswith("<p>Hi ")

    def test_safe_markup_is_kept(self, make_post):
        post = make_post(body="<h2>Verdict</h2><ul><li><strong>Great</strong></li></ul>")
        assert post.body_html == "<h2>Verdict</h2><ul><li><strong>Great</strong></li></ul>"

    def test_excerpt_defaults_to_the_start_of_the_body(self, make_post):
        words = " ".join(f"word{i}" for i in range(60))
        post = make_post(body=f"<p>{words}</p>")
        assert post.excerpt == " ".join(f"word{i}" for i in range(40)) + "…"

    def test_written_excerpt_is_kept(self, make_post):
        post = make_post(excerpt="  A hand-written standfirst.  ")
        assert post.excerpt == "A hand-written standfirst."

    @pytest.mark.parametrize(("words", "minutes"), [(10, 1), (230, 1), (231, 2), (1000, 5)])
    def test_reading_time_rounds_up_at_230_words_a_minute(self, make_post, words, minutes):
        post = make_post(body="<p>" + "word " * words + "</p>")
        assert post.reading_time == minutes

    def test_saving_some_fields_still_recomputes_the_html(self, make_post):
        post = make_post(body="<p>Old</p>")
        post.body = "<p>New<script>x</script></p>"
        post.save(update_fields=["body"])
        post.refresh_from_db()
        assert post.body_html == "<p>New</p>"


@pytest.mark.django_db
class TestCategoryAncestors:
    def test_ancestors_run_from_the_root_down(self, games: Category, pc: Category):
        budget = Category.objects.create(name="Budget", slug="budget", parent=pc)
        assert budget.ancestors() == [games, pc]
        assert games.ancestors() == []

    def test_a_parent_cycle_does_not_loop_forever(self, games: Category, pc: Category):
        games.parent = pc
        games.save()
        pc.refresh_from_db()
        assert pc.ancestors() == [games]
