"""Photos through real Nginx: served from disk with immutable caching; covers on cached pages."""
from __future__ import annotations

import re

import pytest

from blog.models import Post
from tests.factories import make_image, make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


class TestMedia:
    def test_sizes_are_served_by_nginx_with_a_years_immutable_caching(self, stack):
        image = make_image(1000, 600)
        for item in image.renditions:
            answer = fetch(stack.base_url, image.file.storage.url(item["name"]))
            assert answer.status == 200, item
            assert answer.header("Cache-Control") == "public, max-age=31536000, immutable"
            assert answer.header("Content-Type") == item["format"]
            assert answer.header("X-Cache") is None  # not Django, not the page cache
            assert len(answer.body) == item["bytes"]

    def test_unknown_or_odd_media_urls_are_404_from_nginx(self, stack):
        for uri in ["/media/images/nothing.jpg", "/media/../settings.py", "/media/images/x.php",
                    "/media/"]:
            assert fetch(stack.base_url, uri).status in (400, 404), uri

    def test_an_upload_over_the_limit_is_refused_by_nginx(self, stack, settings):
        body = b"x" * (settings.UPLOAD_MAX_MB * 1024 * 1024 + 1024)
        answer = fetch(stack.base_url, "/admin/blog/image/add/", method="POST", body=body,
                       headers={"Content-Type": "application/octet-stream"})
        assert answer.status == 413


class TestCover:
    def test_cover_on_the_cached_page_and_replacing_it_purges(self, stack):
        image = make_image(1600, 900, alt_text="Crowd at the finals")
        post = make_post("Finals night", slug="finals", cover=image)
        first = fetch(stack.base_url, "/posts/finals/")
        assert first.header("X-Cache") == "MISS"
        assert 'alt="Crowd at the finals"' in first.text and "<picture" in first.text
        assert re.search(r'<meta property="og:image" content="http://[^"]+-1600w\.jpg">', first.text)
        assert fetch(stack.base_url, "/posts/finals/").header("X-Cache") == "HIT"
        home = fetch(stack.base_url, "/")
        assert image.renditions[0]["name"] in home.text

        image.alt_text = "The winning team"
        image.save()
        fresh = fetch(stack.base_url, "/posts/finals/")
        assert fresh.header("X-Cache") == "MISS" and 'alt="The winning team"' in fresh.text

        image.delete()
        assert Post.objects.get(pk=post.pk).cover is None
        after = fetch(stack.base_url, "/posts/finals/")
        assert after.header("X-Cache") == "MISS" and "<picture" not in after.text
        assert fetch(stack.base_url, "/").header("X-Cache") == "MISS"
