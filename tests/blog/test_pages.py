"""Standalone pages: served at /<slug>/, listed in the footer, refused where the site has a URL."""
from __future__ import annotations


import pytest
from django.db import transaction
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from blog import pages
from blog.models import Page
from blog.redirects import old_address
from tests.factories import make_page, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw-unused"))
    return client


def page_form(**overrides) -> dict:
    data = {"title": "Contact", "slug": "contact", "body": "<p>Write to us.</p>", "status": "published",
            "show_in_footer": "on", "footer_order": "0"}
    data.update(overrides)
    return data


class TestPageView:
    def test_published_page_at_its_slug_and_in_every_footer(self, client):
        make_page("About us", "about", body="<p>We <script>x</script>write.</p>")
        make_post("A story", slug="a-story")
        page = client.get("/about/")
        assertContains(page, "<h1 class=\"post-title\">About us</h1>", html=False)
        assertNotContains(page, "<script>x")
        for url in ["/", "/posts/a-story/", "/about/"]:
            assertContains(client.get(url), '<a href="/about/">About us</a>')

    def test_drafts_and_unknown_slugs_are_404(self, client):
        make_page("Secret", "secret", status="draft")
        assert client.get("/secret/").status_code == 404
        assert client.get("/nothing-here/").status_code == 404
        assert client.get("/about/?page=2").status_code == 404

    def test_footer_lists_only_pages_marked_for_it_in_order(self, client):
        make_page("Zeta", "zeta", footer_order=1)
        make_page("Alpha", "alpha", footer_order=2)
        make_page("Hidden", "hidden", show_in_footer=False)
        body = client.get("/").content.decode()
        assert body.index(">Zeta<") < body.index(">Alpha<") and ">Hidden<" not in body

    def test_sitemap_lists_published_pages(self, client):
        make_page("About us", "about")
        make_page("Draft", "draft-page", status="draft")
        sitemap = client.get("/sitemap.xml").content.decode()
        assert "/about/</loc>" in sitemap and "draft-page" not in sitemap


class TestCollisions:
    @pytest.mark.parametrize("slug", ["admin", "api", "feed", "posts", "category", "static", "media",
                                      "_fragments", "Feed"])
    def test_a_site_address_is_refused(self, slug):
        assert pages.slug_collision(slug)

    @pytest.mark.parametrize("slug", ["about", "contact", "feeds", "postscript"])
    def test_free_addresses_are_accepted(self, slug):
        assert pages.slug_collision(slug) is None

    def test_the_admin_form_says_why(self, staff_client):
        answer = staff_client.post(reverse("admin:blog_page_add"), page_form(slug="feed"))
        assertContains(answer, "/feed/ is already an address of the site")
        assert not Page.objects.exists()
        answer = staff_client.post(reverse("admin:blog_page_add"), page_form())
        assert answer.status_code == 302 and Page.objects.get().slug == "contact"


@pytest.mark.django_db(transaction=True)
class TestPurges:
    def test_body_edit_reaches_only_the_page(self, purged):
        page = make_page("About us", "about")
        page.body = "<p>New words.</p>"
        [tags] = purged(page.save)
        assert tags == {f"blog.page:{page.pk}"}

    def test_footer_changes_reach_every_page(self, purged):
        page = make_page("About us", "about", show_in_footer=False)
        page.show_in_footer = True
        [tags] = purged(page.save)
        assert pages.FOOTER_PAGES in tags
        page.title = "About"
        [tags] = purged(page.save)
        assert pages.FOOTER_PAGES in tags

    def test_publishing_reaches_its_address_and_the_sitemap(self, purged):
        page = make_page("Contact", "contact", status="draft", show_in_footer=False)
        page.status = Page.Status.PUBLISHED
        [tags] = purged(transaction.atomic()(page.save))
        assert {pages.ALL_PAGES, pages.page_address("contact")} <= tags

    def test_draft_edits_purge_nothing(self, purged):
        page = make_page("Draft", "draft", status="draft")
        page.body = "<p>still</p>"
        assert purged(page.save) == []


class TestNestedPages:
    def test_served_at_the_parents_path_in_the_footer_and_sitemap(self, client):
        about = make_page("About us", "about", show_in_footer=False)
        team = make_page("The team", "team", parent=about)
        alumni = make_page("Alumni", "alumni", parent=team, show_in_footer=False)
        assert (team.path, alumni.path) == ("about/team", "about/team/alumni")
        assert reverse("blog:page", kwargs={"path": "about/team"}) == team.get_absolute_url() == "/about/team/"
        assertContains(client.get("/about/team/alumni/"), "Alumni")
        assertContains(client.get("/"), '<a href="/about/team/">The team</a>')
        for missing in ["/team/", "/alumni/", "/about//team/", "/about/team/x/", "/About/team/"]:
            assert client.get(missing).status_code == 404, missing
        sitemap = client.get("/sitemap.xml").content.decode()
        assert "/about/team/</loc>" in sitemap and "/about/team/alumni/</loc>" in sitemap

    def test_only_a_nested_path_a_page_has_resolves(self):
        from django.urls import Resolver404, resolve

        make_page("The team", "team", parent=make_page("About us", "about"))
        assert resolve("/about/team/").url_name == "page"
        assert resolve("/no-such-page/").url_name == "page"  # top level: the page view's 404, as before
        for unrouted in ["/2013/06/old-slug/", "/about/nobody/"]:
            with pytest.raises(Resolver404):
                resolve(unrouted)

    def test_the_same_slug_under_two_parents(self, client):
        first, second = make_page("About", "about"), make_page("Jobs", "jobs")
        make_page("Team A", "team", parent=first)
        make_page("Team B", "team", parent=second)
        assertContains(client.get("/jobs/team/"), "Team B")
        assertContains(client.get("/about/team/"), "Team A")

    def test_moving_a_page_moves_the_pages_below_and_leaves_301s(self, client):
        about = make_page("About us", "about")
        team = make_page("The team", "team", parent=about)
        alumni = make_page("Alumni", "alumni", parent=team)
        about.slug = "who-we-are"
        about.save()
        alumni.refresh_from_db()
        assert alumni.get_absolute_url() == "/who-we-are/team/alumni/"
        for old, new in [("/about/", "/who-we-are/"), ("/about/team/", "/who-we-are/team/"),
                         ("/about/team/alumni/", "/who-we-are/team/alumni/")]:
            answer = client.get(old)
            assert (answer.status_code, answer["Location"]) == (301, new), old
        team.refresh_from_db()
        team.parent = None
        team.save()  # to the top level
        answer = client.get("/who-we-are/team/alumni/")
        assert (answer.status_code, answer["Location"]) == (301, "/team/alumni/")
        assert client.get("/about/team/alumni/")["Location"] == "/team/alumni/"

    def test_a_parent_with_pages_below_cannot_be_deleted(self):
        from django.db.models import ProtectedError

        about = make_page("About us", "about")
        make_page("The team", "team", parent=about)
        with pytest.raises(ProtectedError):
            about.delete()

    def test_a_loop_is_refused(self):
        about = make_page("About us", "about")
        team = make_page("The team", "team", parent=about)
        about.parent = team
        with pytest.raises(ValueError):
            about.save()


class TestNestedPagesInTheAdmin:
    def test_a_nested_slug_may_be_a_site_word_but_not_a_taken_path(self, staff_client):
        about = make_page("About us", "about")
        add = reverse("admin:blog_page_add")
        answer = staff_client.post(add, page_form(title="Feed", slug="feed", parent=str(about.pk)))
        assert answer.status_code == 302 and Page.objects.get(slug="feed").path == "about/feed"
        answer = staff_client.post(add, page_form(title="Again", slug="feed", parent=str(about.pk)))
        assertContains(answer, "Another page already lives at /about/feed/")
        answer = staff_client.post(add, page_form(title="About", slug="about"))
        assertContains(answer, "Another page already lives at /about/")

    def test_nesting_a_page_under_its_own_is_refused(self, staff_client):
        about = make_page("About us", "about")
        team = make_page("The team", "team", parent=about)
        answer = staff_client.post(reverse("admin:blog_page_change", args=[about.pk]),
                                   page_form(title="About us", slug="about", parent=str(team.pk)))
        assertContains(answer, "cannot be nested under")
        about.refresh_from_db()
        assert about.parent is None

    def test_the_list_shows_each_address(self, staff_client):
        make_page("The team", "team", parent=make_page("About us", "about"))
        assertContains(staff_client.get(reverse("admin:blog_page_changelist")), "/about/team/")


@pytest.mark.django_db(transaction=True)
class TestNestedPurges:
    def test_a_move_purges_the_old_and_new_addresses_of_each_page_below(self, purged):
        about = make_page("About us", "about", show_in_footer=False)
        team = make_page("The team", "team", parent=about, show_in_footer=False)
        about.slug = "us"
        [tags] = purged(transaction.atomic()(about.save))
        for path in ("about", "us", "about/team", "us/team"):
            assert pages.page_address(path) in tags, path
            assert old_address(f"/{path}/") in tags, path  # a kept 404 where no view answered
        assert {f"blog.page:{about.pk}", f"blog.page:{team.pk}", pages.ALL_PAGES} <= tags
