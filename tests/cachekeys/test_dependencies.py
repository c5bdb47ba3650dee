"""Surrogate keys collected while a page renders, and recorded when it is stored."""
from __future__ import annotations

import pytest

from blog.models import Post
from cachekeys.dependencies import collecting, depends_on, instance_tag
from cachekeys.models import CachedPage
from cachekeys.records import record_page
from tests.factories import make_post


class TestCollecting:
    def test_declared_tags_are_collected_inside_a_render_only(self):
        depends_on("outside")  # no render under way: nothing to add it to
        with collecting() as tags:
            depends_on("blog.posts:all", "blog.posts:tag:3")
        assert tags == {"blog.posts:all", "blog.posts:tag:3"}

    def test_collections_nest_without_leaking(self):
        with collecting() as outer:
            depends_on("a")
            with collecting() as inner:
                depends_on("b")
            depends_on("c")
        assert (outer, inner) == ({"a", "c"}, {"b"})

    @pytest.mark.django_db
    def test_tracked_instances_tag_the_page_that_built_them(self):
        post = make_post("Seen", tags=["pc"])
        with collecting() as tags:
            loaded = Post.objects.select_related("category").get(pk=post.pk)
            list(loaded.tags.all())
        assert {f"blog.post:{post.pk}", f"blog.category:{post.category_id}",
                f"blog.tag:{loaded.tags.get().pk}"} <= tags
        assert instance_tag(Post, post.pk) == f"blog.post:{post.pk}"

    @pytest.mark.django_db
    def test_instances_built_outside_a_render_tag_nothing(self):
        post = make_post("Unseen")
        with collecting() as tags:
            pass
        Post.objects.get(pk=post.pk)
        assert tags == set()


@pytest.mark.django_db
class TestRecordPage:
    def test_records_host_uri_and_tags_and_replaces_them_on_restore(self):
        record_page("k" * 32, "site.test", "/?page=2", {"a", "b"}, ttl=60)
        record_page("k" * 32, "site.test", "/?page=2", {"b", "c"}, ttl=60)
        page = CachedPage.objects.get()
        assert (page.host, page.uri, page.url) == ("site.test", "/?page=2", "//site.test/?page=2")
        assert set(page.tags.values_list("tag", flat=True)) == {"b", "c"}
