"""The benchmark's sites: every page of one, and growing it fast."""
import pytest
from django.test import Client

from bench.content import grow_site, site_pages
from blog.models import Post
from tests.factories import make_post

pytestmark = pytest.mark.django_db


def test_site_pages_are_every_page_and_each_answers_200():
    for n in range(12):
        make_post(f"Story {n}", tags=["Retro"], category="Games")
    pages = site_pages()
    assert pages[0] == "/"
    assert "/?page=2" in pages  # 12 posts, 10 a page
    assert "/tag/retro/?page=2" in pages and "/tag/retro/?page=3" not in pages
    assert sum(uri.startswith("/posts/") for uri in pages) == 12
    client = Client()
    assert {client.get(uri).status_code for uri in pages} == {200}


def test_grow_site_clones_published_posts_with_their_tags():
    make_post("Seed", tags=["Retro", "Indie"])
    assert grow_site(25) == 24
    assert Post.objects.public().count() == 25
    clone = Post.objects.exclude(title="Seed").first()
    assert sorted(t.slug for t in clone.tags.all()) == ["indie", "retro"]
    assert clone.body_html and Client().get(clone.get_absolute_url()).status_code == 200
    assert grow_site(25) == 0
