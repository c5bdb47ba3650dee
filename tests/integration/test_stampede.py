"""Many readers of one cold page through real Nginx: one render, the rest wait for it."""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from cachekeys.coalesce import Claim, Coalescer, State, claim_key, decode
from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.factories import make_post
from tests.http import Response, fetch

pytestmark = pytest.mark.integration

READERS = 32
# Enough sync workers that several readers are inside Django together, as in production.
WORKERS = 4
HEADERS_THAT_MATTER = (
    "Content-Type", "X-Content-Type-Options", "Referrer-Policy",
    "Cross-Origin-Opener-Policy", "X-Frame-Options",
)


def read_together(base_url: str, uri: str, readers: int = READERS) -> list[Response]:
    """GET ``uri`` from ``readers`` threads released at the same instant."""
    start = threading.Barrier(readers)

    def read(_: int) -> Response:
        start.wait()
        return fetch(base_url, uri, host="site.test", timeout=30)

    with ThreadPoolExecutor(readers) as pool:
        return list(pool.map(read, range(readers)))


def app_requests_for(site, uri: str) -> int:
    """How many times the app servers were asked for ``uri`` (gunicorn's access lines)."""
    time.sleep(0.2)  # the access line is written just after the answer
    return sum(log.read_text(errors="replace").count(f'"GET {uri} ') for log in site.run_dir.glob("gunicorn-*.log"))


def tally(pages: list[Response]) -> Counter:
    return Counter(page.header("X-Cache") for page in pages)


def assert_one_render(pages: list[Response]) -> None:
    counts = tally(pages)
    assert {page.status for page in pages} == {200}
    assert counts["MISS"] == 1, counts
    assert set(counts) <= {"MISS", "COALESCED", "HIT"}, counts
    assert len({page.body for page in pages}) == 1
    miss = next(page for page in pages if page.header("X-Cache") == "MISS")
    for page in pages:
        for name in HEADERS_THAT_MATTER:
            assert page.header(name) == miss.header(name), (name, page.header("X-Cache"))


def plant_claim(uri: str, seconds: int) -> None:
    """Take the page's claim as a render that then dies would: nobody will settle it."""
    key = page_key("site.test", uri)
    assert Coalescer(get_pool(), claim_seconds=seconds, wait_seconds=0).claim_or_wait(key, 0).holding


def claim_of(uri: str) -> Claim | None:
    return decode(get_pool().get(claim_key(page_key("site.test", uri))))


class TestColdPage:
    def test_32_readers_cause_one_render_and_wait_for_it(self, make_site):
        site = make_site(workers=WORKERS)
        post = make_post("Everyone reads this", slug="everyone")
        pages = read_together(site.base_url, post.get_absolute_url())
        assert_one_render(pages)
        assert b"Everyone reads this" in pages[0].body
        # They waited in Nginx for that render (its claim, deploy/nginx/first_tier.lua): the
        # page reached Django once. (Django's own claim is for readers several fronts send.)
        assert app_requests_for(site, post.get_absolute_url()) == 1
        assert claim_of(post.get_absolute_url()).state is State.STORED

    def test_after_a_purge_one_render_serves_the_new_version_to_all(self, make_site):
        site = make_site(workers=WORKERS)
        post = make_post("Old headline", slug="headline", body="<p>The same body.</p>")
        uri = post.get_absolute_url()
        assert [fetch(site.base_url, uri, host="site.test").header("X-Cache") for _ in range(2)] == [
            "MISS", "HIT"]

        post.title = "New headline"
        post.save()  # purges after commit; the old verdict predates that purge
        pages = read_together(site.base_url, uri)
        assert_one_render(pages)
        assert b"New headline" in pages[0].body and b"Old headline" not in pages[0].body

    def test_a_page_that_is_never_stored_is_not_queued_behind_one_render(self, make_site):
        site = make_site(workers=WORKERS)
        pages = read_together(site.base_url, "/posts/no-such-post/", readers=8)
        # Each is answered by its own render (MISS: Nginx keeps the 404 in its bounded missing-page
        # dict afterwards) or from that dict (HIT); none waits for another reader's render.
        assert {page.status for page in pages} == {404}
        assert {page.header("X-Cache") for page in pages} <= {"MISS", "HIT"}
        assert claim_of("/posts/no-such-post/").state is State.UNSTORED


class TestDeadRenderer:
    def test_a_claim_whose_render_died_expires_and_one_reader_takes_over(self, make_site):
        site = make_site(workers=WORKERS)
        post = make_post("Orphaned", slug="orphaned")
        uri = post.get_absolute_url()
        plant_claim(uri, seconds=2)

        began = time.monotonic()
        pages = read_together(site.base_url, uri, readers=8)
        elapsed = time.monotonic() - began
        assert_one_render(pages)
        # Readers waited for the claim (memcached expires a 2 s item after 1-2 s) rather
        # than rendering at once; the upper bound only catches a hang on a busy machine.
        assert 0.5 < elapsed < 20, elapsed

    def test_a_claim_that_never_resolves_is_waited_out_then_rendered(self, make_site):
        site = make_site(workers=WORKERS)
        post = make_post("Hung", slug="hung")
        uri = post.get_absolute_url()
        plant_claim(uri, seconds=60)

        began = time.monotonic()
        page = fetch(site.base_url, uri, host="site.test", timeout=30)
        elapsed = time.monotonic() - began
        assert (page.status, page.header("X-Cache")) == (200, "MISS")
        assert b"Hung" in page.body
        assert 10 <= elapsed < 25, elapsed  # COALESCE_WAIT_SECONDS, then one render (no hang)
        assert fetch(site.base_url, uri, host="site.test").header("X-Cache") == "HIT"
