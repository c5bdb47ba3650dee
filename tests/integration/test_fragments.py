"""A publish purges the shared fragments once plus the pages it changes, not every page.

On the demo site through real Nginx, memcached and gunicorn: warm every page a reader can
reach, publish (a new post in the biggest section, then a draft going live), and after
each publish compare every page as a reader receives it (fragments assembled by Nginx)
with a fresh render straight from the app server (whole, no includes): zero stale pages,
sidebar included. It prints how many of the cached pages each publish purged; the target
is at most a quarter of them.
"""
from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

import pytest
from django.utils import timezone

from blog.demo import seed_demo
from blog.models import Category, Post, Tag
from cachekeys.fragments import FRAGMENT_PREFIX
from cachekeys.keys import page_key
from cachekeys.models import CachedPage
from cachekeys.store import get_pool
from tests.http import crawl, fetch

pytestmark = pytest.mark.integration

HOST = "site.test"
MAX_PAGES = 600
# What a script reads: the API lists a publish must reach too.
API_LISTS = ("/api/v1/post/", "/api/v1/post/?limit=10&offset=10", "/api/v1/category/", "/api/v1/tag/")
MOST_PURGED = 0.25  # issue 11: a publish purges at most a quarter of the demo site's pages


@dataclass
class Publish:
    name: str
    pages: int
    purged_pages: int
    fragments: int
    purged_fragments: int
    stale: list[str]


class Site:
    def __init__(self, stack) -> None:
        self.stack = stack
        self.app_url = f"http://{stack.nginx.app[0]}"
        self.uris: list[str] = []

    def served(self, uri: str) -> bytes:
        """The page as a reader receives it: through Nginx, fragments assembled."""
        page = fetch(self.stack.base_url, uri, host=HOST)
        return page.body if page.status == 200 else b"status %d" % page.status

    def fresh(self, uri: str) -> bytes:
        """A fresh render, whole: straight to gunicorn, which no Nginx asks for includes."""
        page = fetch(self.app_url, uri, host=HOST)
        return page.body if page.status == 200 else b"status %d" % page.status

    def warm(self) -> None:
        self.uris = crawl(self.stack.base_url, HOST, MAX_PAGES) + list(API_LISTS)
        for uri in self.uris:
            self.served(uri)
            page = fetch(self.stack.base_url, uri, host=HOST)
            assert page.header("X-Cache") == "HIT", (uri, page.header("X-Cache-Reason"))

    def stored_fragments(self) -> list[str]:
        return list(CachedPage.objects.filter(uri__startswith=FRAGMENT_PREFIX).values_list("uri", flat=True))

    def publish(self, name: str, change) -> Publish:
        self.warm()
        fragments = self.stored_fragments()
        pool = get_pool()
        change()
        gone = {uri for uri in self.uris + fragments if pool.get(page_key(HOST, uri)) is None}
        stale = [uri for uri in self.uris if self.served(uri) != self.fresh(uri)]
        return Publish(name, len(self.uris), len(gone - set(fragments)), len(fragments),
                       len(gone & set(fragments)), stale)


def biggest_section() -> Category:
    """The top-level category with the most public posts: the publish that reaches most pages."""
    roots = Counter(post.category.root().pk for post in Post.objects.public().select_related("category")
                    if post.category)
    return Category.objects.get(pk=roots.most_common(1)[0][0])


def publish_new_post(section: Category) -> None:
    sub = section.children.order_by("name").first() or section
    post = Post.objects.create(
        title="Breaking: a brand new story", slug="breaking-brand-new", body="<p>Just in.</p>",
        status=Post.Status.PUBLISHED, published_at=timezone.now() - datetime.timedelta(minutes=1),
        author=Post.objects.public().first().author, category=sub)
    post.tags.set(Tag.objects.order_by("name")[:3])  # the admin saves tags after the post


def publish_draft() -> None:
    draft = Post.objects.filter(status=Post.Status.DRAFT).order_by("pk").first()
    draft.status, draft.published_at = Post.Status.PUBLISHED, timezone.now() - datetime.timedelta(minutes=2)
    draft.save()


class TestPublishPurgesWhatChanged:
    def test_a_publish_leaves_zero_stale_pages_and_purges_few(self, stack, capsys):
        seed_demo(posts=60, seed=1)
        site = Site(stack)
        section = biggest_section()
        results = [site.publish(f"new post in {section.name}", lambda: publish_new_post(section)),
                   site.publish("a draft goes live", publish_draft)]
        assembled = all(result.fragments for result in results)
        with capsys.disabled():
            print(f"\nfragments ({'assembled by Nginx' if assembled else 'NOT assembled: pages inline'}):")
            for r in results:
                print(f"  {r.name:32} purged {r.purged_pages:3d} of {r.pages} pages "
                      f"({r.purged_pages / r.pages:.0%}) and {r.purged_fragments} of {r.fragments} fragments, "
                      f"{len(r.stale)} stale")
        assert [r.stale for r in results] == [[], []]
        if not assembled:
            pytest.xfail("Nginx does not assemble fragments yet (X-Cache-Fragments): every page holds the sidebar")
        for r in results:
            assert r.purged_pages <= MOST_PURGED * r.pages, r
            assert r.purged_fragments >= 1, r  # the sidebar changed: its fragment, once
