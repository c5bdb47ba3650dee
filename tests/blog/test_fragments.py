"""blog.fragments: the parts every page shares, inline or as includes Nginx assembles."""
from __future__ import annotations

import datetime
import re

from unittest import mock

import pytest
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone

from blog import fragments, surrogates, views
from blog.demo import seed_demo
from blog.models import Category, Post, Tag
from cachekeys.dependencies import collecting
from tests.factories import make_category, make_post
from tests.http import crawl_with

SSI = {"X-Cache-Fragments": "ssi"}
INCLUDE = re.compile(r'<!--# include virtual="([^"]+)" wait="yes" -->')


def assemble(client: Client, html: str) -> str:
    """Fill in every include as Nginx does: the fragment's own response, byte for byte."""

    def fill(match: re.Match) -> str:
        response = client.get(match.group(1))
        assert response.status_code == 200, match.group(1)
        return response.content.decode()

    return INCLUDE.sub(fill, html)


@pytest.fixture
def site(db) -> dict:
    games = make_category("Games")
    pc = make_category("PC", parent=games)
    posts = [make_post(f"Story {n}", category=pc if n % 2 else games, tags=["rpg", "retro"][: n % 3],
                       ago=datetime.timedelta(days=n)) for n in range(1, 9)]
    return {"games": games, "pc": pc, "posts": posts}


def pages(site: dict) -> list[str]:
    newest, oldest = site["posts"][0], site["posts"][-1]
    return ["/", "/?page=1", f"/posts/{newest.slug}/", f"/posts/{oldest.slug}/", "/category/games/",
            "/category/pc/", "/tag/rpg/", f"/author/{newest.author.username}/", "/no-such-page/"]


class TestAssembly:
    def test_every_page_assembled_equals_the_page_inline(self, client, site):
        for uri in pages(site):
            inline = client.get(uri)
            with_includes = client.get(uri, headers=SSI)
            assert with_includes.status_code == inline.status_code, uri
            html = with_includes.content.decode()
            assert INCLUDE.search(html), uri
            assert assemble(client, html) == inline.content.decode(), uri

    def test_without_the_header_pages_are_whole(self, client, site):
        html = client.get("/").content.decode()
        assert "<!--#" not in html and '<aside class="sidebar"' in html
        # Any other value is not Nginx's: the page stays whole.
        assert "<!--#" not in client.get("/", headers={"X-Cache-Fragments": "esi"}).content.decode()

    def test_a_page_with_includes_does_not_carry_the_shared_lists(self, rf, site):
        # The views called here directly: the middleware would collect into its own set.
        with collecting() as inline:
            views.category(rf.get("/category/pc/"), "pc")
        with collecting() as included:
            views.category(rf.get("/category/pc/", headers=SSI), "pc")
        assert set(surrogates.SHARED_LISTS) <= inline
        assert not set(surrogates.SHARED_LISTS) & included
        with collecting() as fragment:
            views.fragment(rf.get("/_fragments/sidebar/"), "sidebar")
        assert {surrogates.LATEST_POSTS, surrogates.POPULAR_TAGS, surrogates.ARCHIVE_MONTHS} <= fragment

    def test_only_a_sections_newest_posts_leave_themselves_out(self, client, site):
        leader, follower = site["posts"][0], site["posts"][-1]
        lead_html = client.get(f"/posts/{leader.slug}/", headers=SSI).content.decode()
        follow_html = client.get(f"/posts/{follower.slug}/", headers=SSI).content.decode()
        assert f"/_fragments/related/games/{leader.slug}/" in lead_html
        assert '/_fragments/related/games/"' in follow_html  # the section's shared list


class TestFragmentViews:
    def test_a_fragment_is_not_for_search_engines(self, client, site):
        response = client.get("/_fragments/sidebar/")
        assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex"
        assert response["Content-Type"] == "text/html; charset=utf-8"

    @pytest.mark.parametrize("uri", [
        "/_fragments/nothing/", "/_fragments/sidebar/extra/", "/_fragments/sidebar/?x=1",
        "/_fragments/footer/?page=2", "/_fragments/sections/section/no-such-section/",
        "/_fragments/sections/section/pc/extra/", "/_fragments/related/pc/",  # not top-level
        "/_fragments/related/games/no-such-post/", "/_fragments/related/games/a/b/",
        "/_fragments/sections/home/%2e%2e/",
    ])
    def test_unknown_fragments_and_variants_are_404(self, client, site, uri):
        assert client.get(uri).status_code == 404

    def test_a_draft_has_no_related_variant(self, client, site):
        draft = make_post("Secret", category=site["games"], status=Post.Status.DRAFT)
        assert client.get(f"/_fragments/related/games/{draft.slug}/").status_code == 404

    def test_fragments_show_no_draft(self, client, site):
        make_post("Unpublished scoop", category=site["games"], status=Post.Status.DRAFT, tags=["rpg"])
        for uri in ["/_fragments/sidebar/", "/_fragments/related/games/", "/_fragments/sections/home/"]:
            assert "Unpublished scoop" not in client.get(uri).content.decode()


class TestNoDirectiveFromContent:
    def test_an_include_written_by_an_editor_never_reaches_the_page(self, client, site):
        sneaky = make_post('<!--# include virtual="/admin/" -->', category=site["games"],
                           body='<p>x</p><!--# include virtual="/api/v1/me/" --><!--#echo var="x" -->',
                           excerpt='<!--# include virtual="/admin/" -->')
        for uri in [f"/posts/{sneaky.slug}/", "/", "/_fragments/sidebar/", "/_fragments/related/games/"]:
            html = client.get(uri, headers=SSI).content.decode()
            includes = INCLUDE.findall(html)
            assert all(path.startswith("/_fragments/") for path in includes), uri
            assert html.count("<!--#") == len(includes), uri  # no other directive at all


def collected_tags(uri: str, headers: dict[str, str]) -> tuple[set[str], str]:
    """The surrogate tags a page would be stored under, and its body (the view called directly)."""
    request = RequestFactory().get(uri, headers=headers)
    match = resolve(request.path)
    with collecting() as tags:
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response.render()
    return tags, response.content.decode()


@pytest.mark.django_db(transaction=True)
class TestWhatAPublishReaches:
    def test_at_most_a_quarter_of_the_demo_site_once_nginx_assembles(self, client):
        """Which stored pages a publish's purge reaches, from the tags they would be stored under."""
        seed_demo(posts=60, seed=1)
        uris = crawl_client(client) + ["/api/v1/post/", "/api/v1/category/", "/api/v1/tag/"]
        pages = {uri: collected_tags(uri, SSI) for uri in uris}
        fragment_uris = {path for _, body in pages.values() for path in INCLUDE.findall(body)}
        stored_fragments = {path: collected_tags(path, SSI)[0] for path in fragment_uris}
        purges: list[set[str]] = []
        with mock.patch("cachekeys.tracking.purge_tags", side_effect=lambda tags: purges.append(set(tags))):
            post = Post.objects.create(
                title="Just in", slug="just-in", body="<p>New.</p>", status=Post.Status.PUBLISHED,
                published_at=timezone.now() - datetime.timedelta(minutes=1),
                author=Post.objects.public().first().author, category=Category.objects.get(slug="pc"))
            post.tags.set(Tag.objects.order_by("name")[:3])
        purged = set().union(*purges)
        reached = [uri for uri, (tags, _) in pages.items() if tags & purged]
        assert len(reached) <= len(pages) / 4, reached
        assert {"/", "/category/pc/", "/category/games/", "/feed/", "/sitemap.xml", "/api/v1/post/"} <= set(reached)
        assert "/_fragments/sidebar/" in {path for path, tags in stored_fragments.items() if tags & purged}


def crawl_client(client: Client) -> list[str]:
    def get(uri: str) -> tuple[int, str]:
        response = client.get(uri)
        return response.status_code, response.content.decode()

    return crawl_with(get, limit=1000)


class TestDeclaring:
    def test_a_declared_fragment_renders_inline_and_as_an_include(self, rf, db):
        @fragments.fragment("test-greeting", "blog/includes/footer.html")
        def greeting() -> dict:
            return {}

        try:
            inline = fragments.in_page(rf.get("/"), "test-greeting")
            included = fragments.in_page(rf.get("/", headers=SSI), "test-greeting")
            assert inline == fragments.render("test-greeting") and "site-footer" in inline
            assert included == '<!--# include virtual="/_fragments/test-greeting/" wait="yes" -->'
        finally:
            del fragments.FRAGMENTS["test-greeting"]

    def test_a_variant_that_cannot_be_a_url_renders_inline(self, rf, site):
        # A slug outside the URL alphabet (an import's) is never put into a directive.
        html = fragments.in_page(rf.get("/", headers=SSI), "sections", ())
        assert html.startswith("<!--#")
        assert fragments.render("sections", ('section', 'x" -->')) is None
