"""The slug a WordPress term gets (blog.wordpress.slugs): nicename, else name, else its id."""
from __future__ import annotations

from blog.wordpress.parser import Term
from blog.wordpress.slugs import MAX_TERM, term_slug


def test_the_nicename_decoded_and_slugified():
    assert term_slug(Term("category", "retro-games", "Retro games")) == "retro-games"
    assert term_slug(Term("post_tag", "caf%c3%a9", "Café")) == "cafe"


def test_the_name_when_the_nicename_gives_nothing_ascii():
    assert term_slug(Term("post_tag", "", "Board Games")) == "board-games"


def test_the_id_when_neither_gives_an_ascii_slug():
    assert term_slug(Term("category", "%e6%97%a5%e6%9c%ac", "日本", term_id=4)) == "category-4"
    no_id = term_slug(Term("post_tag", "%e6%97%a5", "日"))
    assert no_id.startswith("tag-") and no_id == term_slug(Term("post_tag", "%e6%97%a5", "日"))


def test_never_longer_than_the_slug_field():
    slug = term_slug(Term("post_tag", "x" * 500, ""))
    assert len(slug) == MAX_TERM and not slug.endswith("-")
