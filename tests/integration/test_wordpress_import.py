"""A WordPress export imported, then read through real Nginx and memcached (cachekeys.testing.Stack).

Nothing protected anywhere a reader can reach, every old address a 301 to the right
page (served again from the cache), and every photo in a body local and served.
"""
from __future__ import annotations

import importlib.util
import re
from io import StringIO

import pytest
from django.core.management import call_command

from blog.models import Category, Image, Page, Post, Tag
from blog.wordpress import redirects
from tests.blog.test_wordpress_site import HIDDEN_ADDRESSES, HIDDEN_WORDS, OLD_ADDRESSES, SITE
from tests.blog.wordpress_server import write_uploads
from tests.http import fetch

pytestmark = pytest.mark.integration
STORES_ANY_STATUS = importlib.util.find_spec("cachekeys.value") is not None


@pytest.fixture
def imported(stack, tmp_path):
    out = StringIO()
    call_command("import_wordpress", str(SITE), "--uploads", str(write_uploads(tmp_path / "uploads")), stdout=out)
    return stack


def reader_urls() -> list[str]:
    urls = ["/", "/feed/", "/sitemap.xml", "/api/v1/post/", "/api/v1/tag/", "/api/v1/category/",
            "/archive/2024/1/", "/author/ada/", "/author/grace/", "/?page=2"]
    urls += [c.get_absolute_url() for c in Category.objects.all()] + [t.get_absolute_url() for t in Tag.objects.all()]
    urls += [p.get_absolute_url() for p in Post.objects.all()] + [p.get_absolute_url() for p in Page.objects.all()]
    urls += [f"/api/v1/post/{post.pk}/" for post in Post.objects.all()]
    return urls


class TestImportedSiteThroughNginx:
    def test_nothing_protected_on_any_page_miss_or_hit(self, imported):
        for url in reader_urls():
            for _ in ("miss", "hit"):
                answer = fetch(imported.base_url, url, headers={"Accept-Encoding": "gzip"})
                assert answer.status in (200, 404), (url, answer.status)
                found = HIDDEN_WORDS.search(answer.text)
                assert found is None, (url, found and found.group())
        protected = Post.objects.get(wordpress_id=1002)
        assert fetch(imported.base_url, protected.get_absolute_url()).status == 404

    def test_photos_are_local_and_served(self, imported):
        page = fetch(imported.base_url, Post.objects.get(wordpress_id=1008).get_absolute_url())
        assert page.status == 200
        sources = re.findall(r'(?:src|srcset)="([^"]+)"', page.text)
        photos = [src for src in sources if "/media/" in src or "old.example" in src]
        assert photos and not [src for src in photos if "old.example" in src]
        for src in {part.split()[0] for src in photos for part in src.split(",")}:
            path = re.sub(r"^https?://[^/]+", "", src)
            assert fetch(imported.base_url, path).status == 200, path
        assert Image.objects.filter(wordpress_id__isnull=False).count() == 3

    def test_every_old_address_is_a_301_from_the_cache_too(self, imported):
        for old, new in OLD_ADDRESSES:
            if old == new:
                continue
            first = fetch(imported.base_url, old)
            assert (first.status, first.header("Location")) in ((301, new), (301, f"{imported.base_url}{new}")), old
            again = fetch(imported.base_url, old)
            assert again.status == 301 and again.header("Location") == first.header("Location"), old
            if STORES_ANY_STATUS:  # the CK1 value format (helper "nginx") stores 301s like pages
                assert again.header("X-Cache") == "HIT", (old, again.header("X-Cache-Reason"))
        for old in HIDDEN_ADDRESSES:
            assert fetch(imported.base_url, old).status == 404, old
