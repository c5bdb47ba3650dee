"""Missing pages and bots: Nginx answers a 404 again itself, and forgets it when a save may change it."""
from __future__ import annotations

import gzip
import time
from datetime import timedelta

import pytest

from blog.models import Post
from blog.redirects import record_old_url
from cachekeys.models import CachedPage
from cachekeys.purge import purge_all
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


def get(stack, uri: str, **options):
    return fetch(stack.base_url, uri, host="site.test", **options)


def app_requests(stack) -> int:
    """Requests the app server has answered so far (gunicorn's access lines)."""
    time.sleep(0.2)  # the access line is written just after the answer
    return sum(log.read_text(errors="replace").count('"GET ') for log in stack.run_dir.glob("gunicorn-*.log"))


class TestKeptNotFound:
    def test_a_missing_page_costs_django_once(self, stack):
        first = get(stack, "/posts/not-yet/")
        assert (first.status, first.header("X-Cache")) == (404, "MISS")
        assert first.header("X-Cache-Missing") is None  # between Django and Nginx only
        again = get(stack, "/posts/not-yet/")
        assert (again.status, again.header("X-Cache")) == (404, "HIT")
        assert again.body == first.body and b"not-found-title" in again.body
        for name in ("Content-Type", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
            assert again.header(name) == first.header(name), name
        # Only the shared parts the 404 page includes are stored (once each), never the URL.
        assert not CachedPage.objects.exclude(uri__startswith="/_fragments/").exists()

    def test_a_kept_404_reaches_django_for_nothing_not_even_its_shared_parts(self, stack):
        for _ in range(2):
            get(stack, "/2013/06/gone-for-good/")  # rendered once, its fragments stored once
        requests_before = app_requests(stack)
        for _ in range(5):
            answer = get(stack, "/2013/06/gone-for-good/", headers={"Accept-Encoding": "gzip"})
            assert (answer.status, answer.header("X-Cache")) == (404, "HIT")
            assert b"include virtual" not in gzip.decompress(answer.body)
        assert app_requests(stack) == requests_before

    def test_a_miss_costs_django_one_request_when_nginx_holds_its_shared_parts(self, stack):
        for _ in range(2):
            get(stack, "/2013/06/seen-before/")  # the hit puts the shared parts in the tier
        requests_before = app_requests(stack)
        miss = get(stack, "/2013/06/never-seen/")
        assert (miss.status, miss.header("X-Cache")) == (404, "MISS")
        assert app_requests(stack) == requests_before + 1  # the page only, not its includes
        hit = get(stack, "/2013/06/never-seen/")
        assert hit.header("X-Cache") == "HIT" and hit.body == miss.body  # the parts in their places

    def test_a_kept_404_shows_the_shared_parts_of_now(self, stack):
        make_post("Older story", slug="older-story")
        for _ in range(2):
            get(stack, "/2013/06/gone-again/")
        make_post("Newest story on the desk", slug="newest-story")  # the sidebar's latest posts change
        answer = get(stack, "/2013/06/gone-again/")
        assert (answer.status, answer.header("X-Cache")) == (404, "HIT")
        assert b"Newest story on the desk" in answer.body

    def test_gzip_and_head_clients(self, stack):
        plain = get(stack, "/posts/not-yet/")
        zipped = get(stack, "/posts/not-yet/", headers={"Accept-Encoding": "gzip"})
        assert zipped.status == 404 and zipped.header("X-Cache") == "HIT"
        assert zipped.header("Content-Encoding") == "gzip" and gzip.decompress(zipped.body) == plain.body
        head = get(stack, "/posts/not-yet/", method="HEAD")
        assert (head.status, head.header("X-Cache"), head.body) == (404, "HIT", b"")

    def test_content_published_there_is_served_at_once(self, stack):
        get(stack, "/posts/coming-soon/")
        assert get(stack, "/posts/coming-soon/").header("X-Cache") == "HIT"
        post = make_post("Coming soon", slug="coming-soon", status=Post.Status.DRAFT)
        post.status = Post.Status.PUBLISHED
        post.save()
        page = get(stack, "/posts/coming-soon/")
        assert page.status == 200 and b"Coming soon" in page.body

    def test_a_new_page_at_a_missing_address(self, stack):
        get(stack, "/posts/brand-new/")
        get(stack, "/posts/brand-new/")
        make_post("Brand new", slug="brand-new")
        assert get(stack, "/posts/brand-new/").status == 200

    def test_an_old_slug_once_missing_redirects_after_the_move(self, stack):
        post = make_post("Moving", slug="moving")
        get(stack, "/posts/moved-away/")
        assert get(stack, "/posts/moved-away/").header("X-Cache") == "HIT"
        post.slug = "moved-away"
        post.save()
        assert get(stack, "/posts/moved-away/").status == 200
        assert get(stack, "/posts/moving/").status == 301

    def test_a_path_no_view_answers_stays_kept_through_publishing(self, stack):
        for _ in range(2):
            old = get(stack, "/2013/06/an-old-permalink/")
        assert (old.status, old.header("X-Cache")) == (404, "HIT")
        make_post("Published meanwhile", slug="meanwhile")  # purges the home page and more
        assert get(stack, "/posts/meanwhile/").status == 200
        assert (get(stack, "/2013/06/an-old-permalink/").header("X-Cache")) == "HIT"
        # A routed 404 is forgotten by the same purge: content may have appeared there.
        get(stack, "/posts/later/")
        assert get(stack, "/posts/later/").header("X-Cache") == "HIT"
        make_post("Another", slug="another")
        assert get(stack, "/posts/later/").header("X-Cache") == "MISS"

    def test_wordpress_s_old_addresses_stay_kept_through_publishing(self, stack):
        for uri in ("/?p=4242", "/?page=zzz", "/posts/kept-post/?page=2"):
            get(stack, uri)
            assert get(stack, uri).header("X-Cache") == "HIT", uri
        make_post("Kept post", slug="kept-post")  # a publish: the home page and more are purged
        for uri in ("/?p=4242", "/?page=zzz", "/posts/kept-post/?page=2"):
            answer = get(stack, uri)
            assert (answer.status, answer.header("X-Cache")) == (404, "HIT"), uri

    def test_the_post_an_old_address_names_answers_it_once_public(self, stack):
        post = make_post("Imported later", slug="imported-later", wordpress_id=4343, status=Post.Status.DRAFT)
        get(stack, "/?p=4343")
        assert get(stack, "/?p=4343").header("X-Cache") == "HIT"
        post.status = Post.Status.PUBLISHED
        post.save()
        answer = get(stack, "/?p=4343")
        assert (answer.status, answer.header("Location")) == (301, "/posts/imported-later/")

    def test_an_old_address_written_later_answers_at_once(self, stack):
        get(stack, "/2013/06/moved-here/")
        assert get(stack, "/2013/06/moved-here/").header("X-Cache") == "HIT"
        post = make_post("Moved here", slug="moved-here")
        record_old_url("/2013/06/moved-here/", target=post)
        answer = get(stack, "/2013/06/moved-here/")
        assert (answer.status, answer.header("Location")) == (301, "/posts/moved-here/")

    def test_a_junk_spelling_s_redirect_is_kept_until_a_purge(self, stack):
        post = make_post("Spelled", slug="spelled")
        first, again = (get(stack, "/p%6fsts/spelled/") for _ in range(2))
        assert (first.status, first.header("X-Cache")) == (301, "MISS")
        assert (again.status, again.header("X-Cache"), again.header("Location")) == (
            301, "HIT", first.header("Location"))
        assert again.header("Location") == "/posts/spelled/"
        post.status = Post.Status.DRAFT
        post.save()
        assert get(stack, "/p%6fsts/spelled/").status == 404

    def test_a_junk_spelling_s_redirect_stays_kept_through_other_publishing(self, stack):
        make_post("Pointed at", slug="pointed-at", category="Reviews", ago=timedelta(days=30))
        make_post("In between", category="Reviews", ago=timedelta(days=20))  # so not a neighbour of the next
        for _ in range(2):
            get(stack, "/posts/pointed-at/")  # in the first tier
            get(stack, "/p%6fsts/pointed-at/")
        make_post("Something else", slug="something-else")  # purges the home page, lists, ...
        again = get(stack, "/p%6fsts/pointed-at/")
        assert (again.status, again.header("X-Cache"), again.header("Location")) == (301, "HIT", "/posts/pointed-at/")

    def test_a_purge_of_everything_forgets_kept_redirects(self, stack):
        make_post("All gone", slug="all-gone")
        for _ in range(2):
            get(stack, "/posts/all-gone/")
            get(stack, "/p%6fsts/all-gone/")
        purge_all()
        for _ in range(2):
            get(stack, "/posts/all-gone/")  # back in the first tier
        assert get(stack, "/p%6fsts/all-gone/").header("X-Cache") == "MISS"

    def test_a_redirect_keeping_tracking_parameters_is_not_kept(self, stack):
        make_post("Shared", slug="shared")
        for n in range(2):
            answer = get(stack, f"/posts/shared/?limit=5&utm_source=n{n}")
            assert (answer.status, answer.header("Location")) == (301, f"/posts/shared/?utm_source=n{n}")

    def test_editors_are_never_answered_from_kept_404s(self, stack):
        get(stack, "/posts/secret/")
        get(stack, "/posts/secret/")
        answer = get(stack, "/posts/secret/", headers={"Cookie": "sessionid=abc"})
        assert answer.status == 404 and answer.header("X-Cache") == "BYPASS"

    def test_many_distinct_missing_urls_stay_out_of_memcached_and_the_database(self, stack):
        for n in range(200):
            assert get(stack, f"/posts/junk-{n}/").status == 404
        assert get(stack, "/posts/junk-199/").header("X-Cache") == "HIT"
        # Only the shared parts the 404 page includes are stored (once each), never the URL.
        assert not CachedPage.objects.exclude(uri__startswith="/_fragments/").exists()


PROBES = ["/wp-login.php", "/xmlrpc.php", "/wp-admin/", "/wp-admin/install.php", "/.env", "/.git/config",
          "/phpmyadmin/index.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/cgi-bin/luci"]


class TestProbes:
    @pytest.mark.parametrize("uri", PROBES)
    def test_answered_404_by_nginx_without_django(self, stack, uri):
        for method in ("GET", "POST"):
            answer = get(stack, uri, method=method, body=b"log=admin&pwd=x" if method == "POST" else None)
            assert answer.status == 404, (uri, method)
            assert answer.header("X-Cache") is None  # Django never saw it
            assert b"Traceback" not in answer.body and b"Not found" in answer.body
