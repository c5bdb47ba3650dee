"""The sitemap at /sitemap.xml."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from blog.models import Category, Post, Tag

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client) -> list[str]:
    response = client.get(reverse("blog:sitemap"))
    assert response.status_code == 200
    return [loc.text for loc in ElementTree.fromstring(response.content).findall("sm:url/sm:loc", NS)]


@pytest.mark.django_db
class TestSitemap:
    def test_is_xml_at_sitemap_xml(self, client):
        response = client.get("/sitemap.xml")
        assert reverse("blog:sitemap") == "/sitemap.xml"
        assert response["Content-Type"] == "application/xml"
        assert locations(client) == ["http://testserver/"]

    def test_lists_public_posts_and_their_pages(self, client, make_post, games, pc):
        make_post(slug="visible", category=pc, tags=["RPG"])
        urls = locations(client)
        for path in ["/posts/visible/", "/category/pc/", "/category/games/", "/tag/rpg/", "/author/ada/"]:
            assert f"http://testserver{path}" in urls

    def test_leaves_out_drafts_scheduled_posts_and_what_only_they_use(
        self, client, make_post, django_user_model
    ):
        hidden = Category.objects.create(name="Hidden", slug="hidden")
        writer = django_user_model.objects.create_user("ghost")
        make_post(slug="draft", status=Post.Status.DRAFT, category=hidden, tags=["Secret"], author=writer)
        make_post(slug="soon", ago=-timedelta(days=1), category=hidden, tags=["Secret"], author=writer)
        Tag.objects.create(name="Unused", slug="unused")
        make_post(slug="public")
        urls = " ".join(locations(client))
        assert "/posts/public/" in urls
        for absent in ["/posts/draft/", "/posts/soon/", "/category/hidden/", "/tag/secret/",
                       "/tag/unused/", "/author/ghost/"]:
            assert absent not in urls

    def test_posts_carry_their_last_change(self, client, make_post):
        post = make_post(slug="dated")
        root = ElementTree.fromstring(client.get("/sitemap.xml").content)
        entry = next(url for url in root.findall("sm:url", NS) if url.findtext("sm:loc", namespaces=NS).endswith("/dated/"))
        assert entry.findtext("sm:lastmod", namespaces=NS) == post.updated_at.date().isoformat()
