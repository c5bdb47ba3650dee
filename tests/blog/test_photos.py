"""What pages make of a library photo (blog.photos): a body's photos placed, covers everywhere."""
from __future__ import annotations

import re

import pytest

from blog import photos
from tests.factories import make_image

pytestmark = pytest.mark.django_db


class TestPlacingPhotos:
    def test_a_photo_alone_in_its_paragraph_becomes_a_figure(self, media):
        image = make_image(1600, 900, caption="The stage", credit="Photo: Jo")
        body = f'<p>Intro</p><p><img src="{image.file.url}" alt="Crowd"></p><p>After</p>'
        placed = photos.place_photos(body)
        assert "<figure class=\"photo\"><picture" in placed
        assert 'type="image/webp"' in placed and 'alt="Crowd"' in placed
        assert 'width="1600" height="900"' in placed and 'loading="lazy"' in placed
        assert "The stage" in placed and "Photo: Jo" in placed
        assert placed.startswith("<p>Intro</p>") and placed.endswith("<p>After</p>")

    def test_unknown_and_foreign_images_are_left_alone(self, media):
        body = '<p><img src="https://example.com/images/0123456789abcdef0123.jpg" alt="x"></p>'
        assert photos.place_photos(body) == body


class TestCoverEverywhere:
    def test_page_card_feed_and_api_carry_the_cover(self, client, media):
        from tests.factories import make_post

        image = make_image(2000, 1125, alt_text="Finals stage")
        make_post("Finals", slug="finals", cover=image)
        page = client.get("/posts/finals/").content.decode()
        assert 'fetchpriority="high"' in page and 'alt="Finals stage"' in page
        assert 'sizes="' in page and 'width="2000" height="1125"' in page
        assert '<meta property="og:image" content="http://testserver/media/images/' in page
        assert "-1600w.jpg" in page and 'og:image:width" content="1600"' in page
        home = client.get("/").content.decode()
        assert "cover--photo" in home and "-480w.webp 480w" in home
        feed = client.get("/feed/").content.decode()
        assert re.search(r'<enclosure length="\d+" type="image/jpeg" url="http://testserver/media/images/[0-9a-f]+-1600w.jpg"/>', feed)
        [listed] = client.get("/api/v1/post/").json()["objects"]
        assert listed["photo"]["alt"] == "Finals stage" and "480w" in listed["photo"]["srcset"]

    def test_posts_without_a_cover_keep_the_artwork(self, client, media):
        from tests.factories import make_post

        make_post("Plain", slug="plain")
        assert "og:image" not in client.get("/posts/plain/").content.decode()
        assert client.get("/api/v1/post/").json()["objects"][0]["photo"] is None
