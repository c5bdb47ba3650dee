"""The RSS feed at /feed/."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from blog.feeds import FEED_LENGTH
from blog.models import Post


def items(response) -> list[ElementTree.Element]:
    return ElementTree.fromstring(response.content).findall("./channel/item")


@pytest.mark.django_db
class TestLatestPostsFeed:
    def test_is_rss_with_the_right_content_type(self, client):
        response = client.get(reverse("blog:feed"))
        assert reverse("blog:feed") == "/feed/"
        assert response.status_code == 200
        assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
        channel = ElementTree.fromstring(response.content).find("channel")
        assert channel.findtext("title") == "Respawn"
        assert channel.findtext("link") == "http://testserver/"

    def test_newest_post_comes_first(self, client, make_post):
        make_post("Older", ago=timedelta(days=2))
        make_post("Newest", ago=timedelta(hours=1))
        make_post("Middle", ago=timedelta(days=1))
        assert [item.findtext("title") for item in items(client.get("/feed/"))] == ["Newest", "Middle", "Older"]

    def test_only_public_posts_are_listed(self, client, make_post):
        make_post("Public")
        make_post("Draft", status=Post.Status.DRAFT)
        make_post("Scheduled", ago=-timedelta(hours=1))
        assert [item.findtext("title") for item in items(client.get("/feed/"))] == ["Public"]

    def test_holds_the_newest_twenty(self, client, make_post):
        for hours in range(FEED_LENGTH + 5):
            make_post(f"Story {hours}", ago=timedelta(hours=hours + 1))
        titles = [item.findtext("title") for item in items(client.get("/feed/"))]
        assert FEED_LENGTH == 20
        assert titles == [f"Story {hours}" for hours in range(20)]

    def test_item_carries_link_summary_author_date_and_tags(self, client, make_post):
        post = make_post("Deep dive", slug="deep-dive", excerpt="A short summary.", tags=["RPG", "Indie"])
        (item,) = items(client.get("/feed/"))
        assert item.findtext("link") == "http://testserver/posts/deep-dive/"
        assert item.findtext("guid") == "http://testserver/posts/deep-dive/"
        assert item.findtext("description") == "A short summary."
        assert "Ada Lovelace" in item.findtext("{http://purl.org/dc/elements/1.1/}creator")
        assert sorted(category.text for category in item.findall("category")) == ["Indie", "RPG"]
        assert item.findtext("pubDate") == post.published_at.strftime("%a, %d %b %Y %H:%M:%S +0000")

    def test_markup_in_titles_is_escaped_not_interpreted(self, client, make_post):
        make_post("<script>x</script> & more")
        (item,) = items(client.get("/feed/"))
        assert item.findtext("title") == "<script>x</script> & more"
        assert b"<script>" not in client.get("/feed/").content
