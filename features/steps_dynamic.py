"""Steps for the dynamic bits of cached pages (site.js and the JSON API).

The generic steps (``lettuce.webdriver``) and the magazine's (``features/steps.py``) do
most of the work; this file adds the one check they lack: that the page a logged-in
editor is reading is, byte for byte, the copy Nginx serves readers from memcached, so
whatever the editor sees beyond it was added by the page's script.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from lettuce import step, world
from lettuce.webdriver import cookie_header
from tests.http import fetch


def _current_uri() -> str:
    here = urlsplit(world.browser.current_url)
    return here.path + (f"?{here.query}" if here.query else "")


@step(r"^the page I am reading is the copy readers get from the cache$")
def page_is_the_cached_copy(step):
    uri = _current_uri()
    reader = fetch(world.base_url, uri)
    assert reader.header("X-Cache") == "HIT", f"{uri} is not in the cache: {reader.describe()}"
    # The editor's own request: Nginx sends it to Django, which must render the same bytes.
    editor = fetch(world.base_url, uri, headers={"Cookie": cookie_header()})
    assert editor.status == 200, f"{uri} for the editor: {editor.describe()}"
    assert editor.text == reader.text, f"the editor's {uri} differs from the cached copy"
    for dynamic in ("Edit this post", "Logged in as"):
        assert dynamic not in reader.text, f'the cached {uri} itself says "{dynamic}"'
