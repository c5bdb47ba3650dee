"""A real-shaped export (tests/blog/fixtures/wordpress/site.xml) imported, then read as a reader.

The fixture marks everything a reader must never see with a word in capitals
(PROTECTED-TEXT, PRIVATE-TITLE...): no public URL may answer with one of them.
"""
from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from blog.models import Category, Post, Tag

SITE = Path(__file__).parent / "fixtures" / "wordpress" / "site.xml"
HIDDEN_WORDS = re.compile(r"(PROTECTED|PRIVATE|DRAFT|PENDING|FUTURE|TRASH|SPAM|REVISION)-[A-Z]+")


def import_site(*args: str) -> str:
    out = StringIO()
    call_command("import_wordpress", str(SITE), "--no-purge", *args, stdout=out)
    return out.getvalue()


def public_urls() -> list[str]:
    """Every reader-facing URL the imported site has, plus the ones hidden items would use."""
    urls = ["/", "/feed/", "/sitemap.xml", "/api/v1/post/", "/api/v1/tag/", "/api/v1/category/",
            "/archive/2024/1/", "/author/ada/", "/author/grace/"]
    urls += [category.get_absolute_url() for category in Category.objects.all()]
    urls += [tag.get_absolute_url() for tag in Tag.objects.all()]
    urls += [post.get_absolute_url() for post in Post.objects.all()]
    urls += [f"/api/v1/post/{post.pk}/" for post in Post.objects.all()]
    return urls


@pytest.mark.django_db
class TestNothingHiddenReachesAReader:
    def test_protected_post_is_kept_for_editors_and_flagged(self):
        import_site()
        post = Post.objects.get(wordpress_id=1002)
        assert post.status == Post.Status.DRAFT and post.wordpress_protected
        assert post.wordpress_status == "publish"
        assert "Password-protected" in post.hidden_because
        assert "PROTECTED-TEXT" in post.body  # nothing lost: editors still have it
        assert not post.is_public
        # Even published by an editor, it stays hidden while the flag is ticked.
        Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
        assert not Post.objects.public().filter(pk=post.pk).exists()

    @pytest.mark.parametrize("wp_id, wordpress_status", [
        (1003, "private"), (1004, "draft"), (1005, "pending"), (1007, "trash"),
    ])
    def test_unpublished_statuses_become_drafts(self, wp_id, wordpress_status):
        import_site()
        post = Post.objects.get(wordpress_id=wp_id)
        assert (post.status, post.wordpress_status) == (Post.Status.DRAFT, wordpress_status)
        assert wordpress_status in post.hidden_because

    def test_scheduled_post_waits_for_its_date(self):
        import_site()
        post = Post.objects.get(wordpress_id=1006)
        assert post.status == Post.Status.PUBLISHED and not post.is_public

    def test_no_public_url_shows_a_hidden_word(self):
        import_site()
        # Published even by mistake, a protected post stays out of every page.
        Post.objects.filter(wordpress_id=1002).update(status=Post.Status.PUBLISHED)
        client = Client()
        seen = 0
        for url in public_urls():
            response = client.get(url)
            assert response.status_code in (200, 404), url
            text = response.content.decode()
            assert not HIDDEN_WORDS.search(text), (url, HIDDEN_WORDS.search(text).group())
            seen += response.status_code == 200
        assert seen > 10  # the public part of the site is there
        assert client.get(Post.objects.get(wordpress_id=1001).get_absolute_url()).status_code == 200
        assert client.get(Post.objects.get(wordpress_id=1002).get_absolute_url()).status_code == 404
        assert client.get("/tag/hidden-tag/").content.decode().count("<article") == 0
