"""A hit repeats the headers its miss had, for every kind of page (issue 16).

Each page is read twice through real Nginx: the miss Django rendered and stored, then
the hit Nginx served from memcached. Their header sets must be the same, but for what
differs per response by nature (Date, Content-Length, the connection's own headers) and
X-Cache itself. A header Nginx would drop must instead keep the page out of the cache.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from tests.factories import make_page, make_post
from tests.http import Response, fetch

pytestmark = pytest.mark.integration

PER_RESPONSE = {"date", "content-length", "connection", "keep-alive", "transfer-encoding", "x-cache",
                "x-cache-reason"}
INCLUDE = re.compile(r'<!--# include virtual="(/_fragments/[^"]+)" wait="yes" -->')


def header_set(response: Response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in response.headers.items():
        if name.lower() not in PER_RESPONSE:
            found.setdefault(name.lower(), []).append(value)
    return {name: sorted(values) for name, values in found.items()}


def differences(miss: Response, hit: Response) -> list[str]:
    before, after = header_set(miss), header_set(hit)
    return [f"{name}: miss {before.get(name)} hit {after.get(name)}"
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


@pytest.fixture
def site(stack):
    post = make_post("Headers", tags=["pc"], category="Hardware", slug="headers", ago=timedelta(days=3))
    make_page("About us", slug="about-us")
    month = post.published_at
    return {
        "home": "/", "post": "/posts/headers/", "category": "/category/hardware/", "tag": "/tag/pc/",
        "author": f"/author/{post.author.username}/", "archive": f"/archive/{month.year}/{month.month}/",
        "feed": "/feed/", "sitemap": "/sitemap.xml", "api list": "/api/v1/post/",
        "api detail": f"/api/v1/post/{post.pk}/", "page": "/about-us/",
    }


KINDS = ["home", "post", "category", "tag", "author", "archive", "feed", "sitemap",
         "api list", "api detail", "page"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_hit_carries_the_headers_of_its_miss(stack, site, kind):
    uri = site[kind]
    miss = fetch(stack.base_url, uri, host="site.test")
    hit = fetch(stack.base_url, uri, host="site.test")
    assert (miss.status, miss.header("X-Cache")) == (200, "MISS"), (uri, miss.status, miss.header("X-Cache-Reason"))
    assert hit.header("X-Cache") == "HIT", uri
    assert not differences(miss, hit), f"{kind} {uri}: " + "; ".join(differences(miss, hit))


def test_fragments_carry_their_headers_too(stack, site):
    # The parts pages include with SSI, as Django writes them for Nginx (contract 2).
    page = Client(HTTP_HOST="site.test", HTTP_X_CACHE_FRAGMENTS="ssi").get("/").content.decode()
    fragments = sorted(set(INCLUDE.findall(page)))
    assert fragments, "the home page includes no /_fragments/ parts"
    for uri in fragments:
        miss = fetch(stack.base_url, uri, host="site.test")
        hit = fetch(stack.base_url, uri, host="site.test")
        assert hit.header("X-Cache") == "HIT", (uri, miss.header("X-Cache"), miss.header("X-Cache-Reason"))
        assert not differences(miss, hit), f"{uri}: " + "; ".join(differences(miss, hit))


def test_a_missing_page_kept_as_a_hit_repeats_its_headers(stack, site):
    miss = fetch(stack.base_url, "/no-such-page-at-all/", host="site.test")
    again = fetch(stack.base_url, "/no-such-page-at-all/", host="site.test")
    assert (miss.status, again.status) == (404, 404)
    if again.header("X-Cache") != "HIT":
        assert miss.header("X-Cache") in ("BYPASS", "MISS")
        return  # not kept: every reader gets Django's own answer
    assert not differences(miss, again), "404: " + "; ".join(differences(miss, again))
