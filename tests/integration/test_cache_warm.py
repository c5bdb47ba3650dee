"""cache_warm: every sitemap page rendered into the cache through the real Nginx."""
from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from cachekeys.testing import free_port
from cachekeys.warm import Page, WarmError, page_from_url, sitemap_locations
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration

LOC = re.compile(r"<loc>https?://[^/<]+(/[^<]*)</loc>")


def cache_warm(stack, *args: str) -> str:
    out = io.StringIO()
    call_command("cache_warm", f"--base-url={stack.base_url}", "--host=site.test", *args,
                 verbosity=0, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sitemap_uris(stack) -> list[str]:
    return LOC.findall(fetch(stack.base_url, "/sitemap.xml", host="site.test").text)


@pytest.fixture
def posts(stack):
    return [make_post(f"Warm story {i}", tags=["pc", "rpg"][: i % 2 + 1], slug=f"warm-{i}") for i in range(6)]


class TestCacheWarm:
    def test_every_sitemap_page_is_rendered_then_served_from_the_cache(self, stack, posts):
        output = cache_warm(stack, "--concurrency=4")
        uris = sitemap_uris(stack)
        assert len(uris) >= 6 + 1  # the posts, the home page, their lists
        for uri in uris:
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "HIT", uri
        # "/" (WARM_PATHS) is also in the sitemap: fetched once. The sitemap fetch itself
        # was the only request before, so every listed page was a miss rendered now.
        assert output.strip() == f"Warmed {len(uris)} pages through {stack.base_url}: {len(uris)} MISS."

    def test_a_second_run_finds_everything_cached(self, stack, posts):
        cache_warm(stack)
        output = cache_warm(stack, "--concurrency=1")
        assert re.fullmatch(r"Warmed (\d+) pages through \S+: \1 HIT\.", output.strip()), output

    def test_pages_are_stored_under_the_host_readers_use(self, stack, posts):
        cache_warm(stack)
        assert fetch(stack.base_url, "/posts/warm-1/", host="site.test").header("X-Cache") == "HIT"
        assert fetch(stack.base_url, "/posts/warm-1/", host="www.site.test").header("X-Cache") == "MISS"

    def test_unreachable_nginx_is_a_command_error(self):
        with pytest.raises(CommandError, match="cannot read the sitemap"):
            call_command("cache_warm", f"--base-url=http://127.0.0.1:{free_port()}", verbosity=0,
                         stdout=io.StringIO())

    def test_a_missing_sitemap_is_a_command_error(self, stack):
        with pytest.raises(CommandError, match="answered 404"):
            cache_warm(stack, "--sitemap=/no-sitemap-here.xml")

    def test_a_failing_page_is_reported_and_fails_the_command(self, stack, posts, settings):
        settings.CACHEKEYS = {**settings.CACHEKEYS, "WARM_PATHS": ["/", "/no-such-page/"]}
        err = io.StringIO()
        with pytest.raises(CommandError, match="1 of .* pages failed"):
            call_command("cache_warm", f"--base-url={stack.base_url}", "--host=site.test", verbosity=0,
                         stdout=io.StringIO(), stderr=err)
        assert "site.test/no-such-page/: status 404" in err.getvalue()

    @pytest.mark.parametrize("value", ["0", "65", "many"])
    def test_concurrency_must_be_1_to_64(self, value):
        with pytest.raises(CommandError):
            call_command("cache_warm", f"--concurrency={value}", verbosity=0)


class TestSitemapParsing:
    def test_pages_keep_the_host_and_port_and_the_raw_uri(self):
        assert page_from_url("http://Site.Test:8000/a%20b/?page=2") == Page("Site.Test:8000", "/a%20b/?page=2")

    def test_an_index_names_its_sitemaps(self):
        xml = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               b"<sitemap><loc>http://s.test/sitemap-posts.xml</loc></sitemap></sitemapindex>")
        assert sitemap_locations(xml) == ([], ["http://s.test/sitemap-posts.xml"])

    def test_not_xml_is_a_warm_error(self):
        with pytest.raises(WarmError, match="not XML"):
            sitemap_locations(b"<html")
