"""Nested pages through Nginx: /about/team/ is stored under its one spelling; a move purges it and leaves a stored 301."""
from __future__ import annotations

import pytest

from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.factories import make_page
from tests.http import fetch

pytestmark = pytest.mark.integration


def get(stack, uri: str):
    return fetch(stack.base_url, uri, host="site.test")


def test_a_nested_page_is_stored_under_its_path(stack):
    make_page("The team", "team", parent=make_page("About us", "about"), body="<p>Who works here.</p>")
    first, again = get(stack, "/about/team/"), get(stack, "/about/team/")
    assert (first.status, first.header("X-Cache")) == (200, "MISS")
    assert (again.status, again.header("X-Cache")) == (200, "HIT") and b"Who works here." in again.body
    assert get_pool().get(page_key("site.test", "/about/team/")) is not None
    # Another spelling of it is sent to the one that is stored, never stored itself.
    other = get(stack, "/about/t%65am/")
    assert (other.status, other.header("Location")) == (301, "/about/team/")
    assert get_pool().get(page_key("site.test", "/about/t%65am/")) is None


def test_moving_the_parent_purges_the_page_and_leaves_a_stored_301(stack):
    about = make_page("About us", "about")
    make_page("The team", "team", parent=about, body="<p>Who works here.</p>")
    assert get(stack, "/about/team/").header("X-Cache") == "MISS"
    assert get(stack, "/about/team/").header("X-Cache") == "HIT"
    about.slug = "who-we-are"
    about.save()
    for cache in ("MISS", "HIT"):
        moved = get(stack, "/about/team/")
        assert (moved.status, moved.header("Location"), moved.header("X-Cache")) == (
            301, "/who-we-are/team/", cache)
    assert b"Who works here." in get(stack, "/who-we-are/team/").body
    assert get(stack, "/team/").status == 404
