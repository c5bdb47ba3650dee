"""The readers' pages: what each shows, what it hides, and how it fails."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from blog.models import Category, Post
from blog.site import SITE_NAME
from blog.views import POSTS_PER_PAGE

HTML = "text/html; charset=utf-8"


def cards(response) -> list[str]:
    """Return the titles of the post cards on a page, in order."""
    html = response.content.decode()
    return re.findall(r'class="post-card__title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.mark.django_db
class TestHome:
    def test_empty_site_still_renders(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert response["Content-Type"] == HTML
        assertContains(response, "No stories yet")

    def test_newest_post_is_the_lead_story_and_the_rest_are_cards(self, client, make_post):
        older = make_post("Older news", ago=timedelta(days=2))
        newest = make_post("Fresh news", ago=timedelta(hours=1))
        response = client.get(reverse("blog:home"))
        html = response.content.decode()
        lead = html[html.index("post-card--lead"):html.index("more-heading")]
        assert newest.title in lead and older.title not in lead
        assert cards(response) == ["Fresh news", "Older news"]
        assertContains(response, f'<a href="{older.get_absolute_url()}">Older news</a>', html=True)

    def test_title_names_the_site(self, client):
        assertContains(client.get("/"), f"<title>{SITE_NAME} — ")

    def test_drafts_and_scheduled_posts_are_nowhere_on_the_page(self, client, make_post):
        make_post("Visible story")
        make_post("Secret draft", status=Post.Status.DRAFT)
        make_post("Tomorrow's story", ago=-timedelta(days=1))
        response = client.get("/")
        assertContains(response, "Visible story")
        assertNotContains(response, "Secret draft")
        assertNotContains(response, "Tomorrow")

    def test_titles_are_escaped(self, client, make_post):
        make_post("<script>alert('x')</script> review")
        response = client.get("/")
        assertNotContains(response, "<script>alert")
        assertContains(response, "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; review")


@pytest.mark.django_db
class TestPagination:
    @pytest.fixture
    def posts(self, make_post) -> list[Post]:
        # 25 posts, the first one newest: pages of 10, 10 and 5.
        return [make_post(f"Story {i:02d}", ago=timedelta(hours=i + 1)) for i in range(25)]

    def test_ten_posts_a_page(self, client, posts):
        assert POSTS_PER_PAGE == 10
        assert cards(client.get("/")) == [f"Story {i:02d}" for i in range(10)]
        assert cards(client.get("/?page=2")) == [f"Story {i:02d}" for i in range(10, 20)]
        assert cards(client.get("/?page=3")) == [f"Story {i:02d}" for i in range(20, 25)]

    def test_page_one_is_the_same_page_as_no_page(self, client, posts):
        assert client.get("/?page=1").content == client.get("/").content

    def test_page_links_point_to_neighbours_and_page_one_has_no_query(self, client, posts):
        response = client.get("/?page=2")
        assertContains(response, '<a class="pagination__step" rel="prev" href="/">← Newer</a>', html=True)
        assertContains(response, '<a class="pagination__step" rel="next" href="?page=3">Older →</a>', html=True)
        assertContains(response, '<span class="pagination__current" aria-current="page">2</span>', html=True)

    def test_page_title_says_which_page(self, client, posts):
        assertContains(client.get("/?page=2"), f"<title>Latest stories, page 2 — {SITE_NAME}</title>")

    @pytest.mark.parametrize(
        "value", ["0", "-1", "4", "99999999999999999999", "abc", "1.5", "01", "+2", " 2", "", "last", "1e3"]
    )
    def test_bad_or_missing_page_is_a_404(self, client, posts, value):
        response = client.get("/", {"page": value})
        assert response.status_code == 404

    def test_bad_page_is_a_404_on_listing_pages_too(self, client, posts, games: Category):
        assert client.get(reverse("blog:category", args=["games"]), {"page": "2"}).status_code == 404
        assert client.get(reverse("blog:category", args=["games"]), {"page": "x"}).status_code == 404

    @pytest.mark.parametrize("path", ["/posts/only-one/", "/feed/", "/sitemap.xml"])
    def test_pages_without_pages_refuse_a_page_number(self, client, make_post, path):
        # Each ?page=N would be one more identical copy in the page cache.
        make_post(slug="only-one")
        assert client.get(path).status_code == 200
        assert client.get(path, {"page": "2"}).status_code == 404
        assert client.get(path, {"page": "1"}).status_code == 404

    def test_single_page_has_no_pagination(self, client, make_post):
        make_post()
        assertNotContains(client.get("/"), 'class="pagination"')


@pytest.mark.django_db
class TestPostDetail:
    def test_shows_the_post(self, client, make_post, pc: Category):
        post = make_post("Deep dive", slug="deep-dive", category=pc, body="<h2>Verdict</h2><p>Superb.</p>")
        response = client.get("/posts/deep-dive/")
        assert response.status_code == 200
        assert response["Content-Type"] == HTML
        assertContains(response, '<h1 class="post-title">Deep dive</h1>', html=True)
        assertContains(response, f"<title>Deep dive — {SITE_NAME}</title>")
        assertContains(response, "<h2>Verdict</h2><p>Superb.</p>")
        assertContains(response, "Ada Lovelace")
        assertContains(response, f'href="{post.get_absolute_url()}"')

    def test_body_is_the_sanitized_html_never_the_raw_body(self, client, make_post):
        make_post(slug="sneaky", body='<p>Safe</p><script>alert("raw")</script><img src=x onerror="boom()">')
        response = client.get("/posts/sneaky/")
        assertContains(response, "<p>Safe</p>")
        assertNotContains(response, 'alert("raw")')
        assertNotContains(response, "onerror")

    def test_title_is_escaped(self, client, make_post):
        make_post("<b>Bold</b> claims", slug="bold", body="<p>Plain.</p>")
        response = client.get("/posts/bold/")
        assertContains(response, "&lt;b&gt;Bold&lt;/b&gt; claims")
        assertNotContains(response, "<b>Bold</b>")

    def test_breadcrumbs_run_through_the_category_tree(self, client, make_post, games, pc):
        make_post(slug="crumbs", category=pc)
        response = client.get("/posts/crumbs/")
        for name, url in [("Home", "/"), ("Games", "/category/games/"), ("PC", "/category/pc/")]:
            assertContains(response, f'<li><a href="{url}">{name}</a></li>', html=True)

    def test_tags_are_links(self, client, make_post):
        make_post(slug="tagged", tags=["RPG", "Indie"])
        response = client.get("/posts/tagged/")
        assertContains(response, '<a class="pill" href="/tag/rpg/">RPG</a>', html=True)
        assertContains(response, '<a class="pill" href="/tag/indie/">Indie</a>', html=True)

    def test_links_to_the_previous_and_next_public_posts(self, client, make_post):
        make_post("First", slug="first", ago=timedelta(days=3))
        make_post("Hidden", slug="hidden", ago=timedelta(days=2), status=Post.Status.DRAFT)
        make_post("Middle", slug="middle", ago=timedelta(days=1))
        make_post("Last", slug="last", ago=timedelta(hours=1))
        response = client.get("/posts/middle/")
        assertContains(response, 'rel="prev" href="/posts/first/"')
        assertContains(response, 'rel="next" href="/posts/last/"')
        assertNotContains(response, "Hidden")

    def test_related_posts_come_from_the_same_section(self, client, make_post, games, pc):
        make_post("Main", slug="main", category=pc)
        make_post("Sibling", category=games)
        make_post("Unrelated")
        response = client.get("/posts/main/")
        related = response.content.decode().split('id="related-heading"')[1].split("</section>")[0]
        assert "Sibling" in related and "Unrelated" not in related

    @pytest.mark.parametrize(
        ("status", "ago"),
        [(Post.Status.DRAFT, timedelta(hours=1)), (Post.Status.PUBLISHED, -timedelta(minutes=5))],
        ids=["draft", "scheduled"],
    )
    def test_draft_and_scheduled_posts_are_404(self, client, make_post, status, ago):
        make_post(slug="not-yet", status=status, ago=ago)
        response = client.get("/posts/not-yet/")
        assert response.status_code == 404

    def test_missing_post_is_404(self, client):
        assert client.get("/posts/nothing-here/").status_code == 404


@pytest.mark.django_db
class TestCategoryPage:
    def test_parent_lists_its_own_and_its_childrens_posts(self, client, make_post, games, pc):
        make_post("Parent story", category=games)
        make_post("Child story", category=pc)
        make_post("Elsewhere")
        response = client.get("/category/games/")
        assert response.status_code == 200
        assert sorted(cards(response)) == ["Child story", "Parent story"]
        assertContains(response, '<h1 class="page-title">Games</h1>', html=True)
        assertContains(response, "All about games.")
        assertContains(response, '<a class="pill" href="/category/pc/">PC</a>', html=True)

    def test_grandchildren_count_too(self, client, make_post, games, pc):
        budget = Category.objects.create(name="Budget", slug="budget", parent=pc)
        make_post("Deep story", category=budget)
        assert cards(client.get("/category/games/")) == ["Deep story"]

    def test_child_does_not_list_its_parents_posts(self, client, make_post, games, pc):
        make_post("Parent story", category=games)
        make_post("Child story", category=pc)
        assert cards(client.get("/category/pc/")) == ["Child story"]

    def test_child_shows_breadcrumbs_to_its_parent(self, client, pc):
        response = client.get("/category/pc/")
        assertContains(response, '<li><a href="/category/games/">Games</a></li>', html=True)
        assertContains(response, '<li><span aria-current="page">PC</span></li>', html=True)
        assertContains(response, f"<title>PC — {SITE_NAME}</title>")

    def test_drafts_are_hidden(self, client, make_post, games):
        make_post("Draft story", category=games, status=Post.Status.DRAFT)
        response = client.get("/category/games/")
        assertNotContains(response, "Draft story")
        assertContains(response, "Nothing here yet")

    def test_section_is_highlighted_in_the_navigation(self, client, pc):
        response = client.get("/category/pc/")
        assertContains(response, '<a href="/category/games/" aria-current="page">Games</a>', html=True)

    def test_unknown_category_is_404(self, client, db):
        assert client.get("/category/nope/").status_code == 404


@pytest.mark.django_db
class TestTagPage:
    def test_lists_public_posts_with_the_tag(self, client, make_post):
        make_post("Tagged", tags=["RPG"])
        make_post("Untagged", tags=["Indie"])
        make_post("Tagged draft", tags=["RPG"], status=Post.Status.DRAFT)
        response = client.get("/tag/rpg/")
        assert response.status_code == 200
        assert cards(response) == ["Tagged"]
        assertContains(response, f"<title>Posts tagged “RPG” — {SITE_NAME}</title>")

    def test_unknown_tag_is_404(self, client, db):
        assert client.get("/tag/nope/").status_code == 404


@pytest.mark.django_db
class TestAuthorPage:
    def test_lists_the_authors_public_posts(self, client, make_post, django_user_model):
        other = django_user_model.objects.create_user("grace", first_name="Grace", last_name="Hopper")
        make_post("By Ada")
        make_post("By Grace", author=other)
        make_post("Ada's draft", status=Post.Status.DRAFT)
        response = client.get("/author/ada/")
        assert response.status_code == 200
        assert cards(response) == ["By Ada"]
        assertContains(response, '<h1 class="page-title">Ada Lovelace</h1>', html=True)
        assertContains(response, '<span class="avatar" aria-hidden="true">AL</span>', html=True)
        assertContains(response, f"<title>Posts by Ada Lovelace — {SITE_NAME}</title>")

    def test_bylines_link_to_the_author(self, client, make_post):
        make_post()
        assertContains(client.get("/"), 'href="/author/ada/"')

    def test_user_without_public_posts_has_no_page(self, client, make_post, django_user_model):
        django_user_model.objects.create_user("editor", is_staff=True)
        make_post(status=Post.Status.DRAFT)
        assert client.get("/author/editor/").status_code == 404
        assert client.get("/author/ada/").status_code == 404

    def test_unknown_author_is_404(self, client, db):
        assert client.get("/author/nobody/").status_code == 404


@pytest.mark.django_db
class TestArchive:
    @pytest.fixture
    def march(self, make_post, author) -> list[Post]:
        def at(day: int, title: str, **fields) -> Post:
            post = make_post(title, **fields)
            post.published_at = timezone.make_aware(timezone.datetime(2024, 3, day, 12))
            post.save()
            return post

        return [at(1, "March first"), at(31, "March last"), at(15, "March draft", status=Post.Status.DRAFT)]

    def test_lists_the_months_public_posts(self, client, march, make_post):
        make_post("This month")
        response = client.get(reverse("blog:archive", args=[2024, 3]))
        assert response.status_code == 200
        assert cards(response) == ["March last", "March first"]
        assertContains(response, '<h1 class="page-title">March 2024</h1>', html=True)
        assertContains(response, f"<title>Archive: March 2024 — {SITE_NAME}</title>")

    def test_sidebar_links_to_months_with_posts(self, client, march):
        assertContains(client.get("/"), '<a href="/archive/2024/3/">Mar 2024</a>', html=True)

    @pytest.mark.parametrize("path", ["/archive/2024/4/", "/archive/2024/13/", "/archive/2024/0/",
                                      "/archive/0/1/", "/archive/9999/12/", "/archive/99999999999/1/"])
    def test_empty_or_impossible_months_are_404(self, client, march, path):
        assert client.get(path).status_code == 404

    def test_a_scheduled_post_does_not_open_its_month(self, client, make_post):
        future = make_post("Next year", ago=-timedelta(days=400))
        path = reverse("blog:archive", args=[future.published_at.year, future.published_at.month])
        assert client.get(path).status_code == 404


@pytest.mark.django_db
class TestNotFoundPage:
    def test_unknown_url_gets_the_friendly_404(self, client, settings, make_post, games):
        settings.DEBUG = False
        make_post("Something to read instead")
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        assert response["Content-Type"] == HTML
        assertContains(response, "Game over? Not quite.", status_code=404)
        assertContains(response, f"<title>Page not found — {SITE_NAME}</title>", status_code=404)
        # The full layout, sidebar included, so a lost reader has somewhere to go.
        assertContains(response, '<aside class="sidebar"', status_code=404)
        assertContains(response, "Something to read instead", status_code=404)
        assertContains(response, '<a class="pill" href="/category/games/">Games</a>', html=True, status_code=404)

    def test_a_hidden_post_gets_the_same_friendly_404(self, client, settings, make_post):
        settings.DEBUG = False
        make_post(slug="draft", status=Post.Status.DRAFT)
        assertContains(client.get("/posts/draft/"), "Game over? Not quite.", status_code=404)

    def test_the_404_handler_is_wired(self):
        from site_project import urls

        assert urls.handler404 == "blog.views.page_not_found"


@pytest.mark.django_db
class TestLayout:
    def test_every_page_has_the_landmarks_and_sidebar(self, client, make_post, games):
        post = make_post(category=games, tags=["RPG"])
        for path in ["/", post.get_absolute_url(), "/category/games/", "/tag/rpg/", "/author/ada/"]:
            response = client.get(path)
            assertContains(response, '<html lang="en">')
            assertContains(response, '<a class="skip-link" href="#content">Skip to content</a>', html=True)
            assertContains(response, '<main id="content" tabindex="-1">')
            assertContains(response, '<aside class="sidebar"')
            assertContains(response, f'<a href="{post.get_absolute_url()}">{post.title}</a>', html=True)

    def test_navigation_lists_top_level_categories_only(self, client, games, pc):
        response = client.get("/")
        nav = response.content.decode().split('class="section-nav"')[1].split("</nav>")[0]
        assert 'href="/category/games/"' in nav
        assert 'href="/category/pc/"' not in nav

    def test_popular_tags_count_public_posts_only(self, client, make_post):
        make_post(tags=["RPG"])
        make_post(tags=["RPG"])
        make_post(tags=["RPG", "Secret"], status=Post.Status.DRAFT)
        response = client.get("/")
        assertContains(response, 'href="/tag/rpg/">RPG <span class="pill__count" aria-label="2 posts">2</span>')
        assertNotContains(response, "Secret")

    def test_scripts_block_sits_just_before_the_end_of_body(self, rf: RequestFactory, db):
        page = Template(
            '{% extends "blog/base.html" %}{% block scripts %}<script src="/app.js"></script>{% endblock %}'
        ).render(RequestContext(rf.get("/")))
        assert page.index("</footer>") < page.index('<script src="/app.js"></script>') < page.index("</body>")

    def test_home_page_queries_do_not_grow_with_posts(self, client, make_post, games,
                                                       django_assert_max_num_queries):
        for _ in range(15):
            make_post(category=games, tags=["RPG", "Indie"])
        with django_assert_max_num_queries(8):
            client.get("/")


@pytest.mark.django_db
class TestCacheability:
    """Every public page is cached and served to everyone, so none may depend on the visitor."""

    @pytest.fixture
    def paths(self, make_post, games, pc) -> list[str]:
        post = make_post(category=pc, tags=["RPG"], ago=timedelta(days=40))
        month = post.published_at
        return [
            "/", post.get_absolute_url(), "/category/games/", "/tag/rpg/", "/author/ada/",
            f"/archive/{month.year}/{month.month}/", "/feed/", "/sitemap.xml", "/missing/",
        ]

    def test_an_editor_and_a_stranger_get_the_same_bytes(self, client, admin_client, paths):
        for path in paths:
            anonymous, editor = client.get(path), admin_client.get(path)
            assert anonymous.status_code == editor.status_code
            assert anonymous.content == editor.content, path

    def test_no_cookies_and_no_vary_on_cookie(self, client, admin_client, paths):
        for path in paths:
            for response in (client.get(path), admin_client.get(path)):
                assert not response.cookies, path
                assert "cookie" not in response.get("Vary", "").lower(), path
                assert "private" not in response.get("Cache-Control", ""), path

    def test_templates_never_touch_per_visitor_state(self):
        forbidden = re.compile(r"\buser\b|\bperms\b|csrf_token|\bmessages\b|\bsession\b|{%\s*now\b")
        templates = Path(__file__).resolve().parents[2] / "blog" / "templates"
        for template in templates.rglob("*.html"):
            tags = re.findall(r"{[{%].*?[}%]}", template.read_text(), flags=re.S)
            offending = [tag for tag in tags if forbidden.search(tag)]
            assert not offending, (template.name, offending)
