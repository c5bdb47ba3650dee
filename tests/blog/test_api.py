"""The JSON API (blog/api/): TastyPie's format, filters, paging, bad input, /me/, surrogate keys."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import resolve

from blog.api.resources import cover_art
from blog.surrogates import ALL_CATEGORIES, ALL_POSTS, ALL_TAGS, category_posts, post_page, tag_posts
from blog.models import Category, Post, Tag
from blog.templatetags.blog_tags import cover, sprite
from cachekeys.dependencies import collecting, instance_tag

JSON = "application/json"
POST_FIELDS = {"id", "title", "slug", "excerpt", "published_at", "reading_time", "url", "category",
               "tags", "author", "cover", "photo", "resource_uri"}

pytestmark = pytest.mark.django_db


def get_json(client, uri: str, status: int = 200, **headers) -> dict:
    response = client.get(uri, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    return response.json()


def titles(body: dict) -> list[str]:
    return [post["title"] for post in body["objects"]]


@pytest.fixture
def posts(make_post) -> list[Post]:
    """Twenty-five public posts, newest first: "Story 0" is the newest."""
    return [make_post(f"Story {n}", ago=timedelta(hours=n + 1)) for n in range(25)]


class TestPostListFormat:
    def test_meta_and_objects_in_tastypie_shape(self, client, posts):
        body = get_json(client, "/api/v1/post/")
        assert body["meta"] == {"limit": 20, "offset": 0, "total_count": 25,
                                "previous": None, "next": "/api/v1/post/?limit=20&offset=20"}
        assert titles(body) == [f"Story {n}" for n in range(20)]

    def test_a_post_object(self, client, make_post, pc, author):
        post = make_post("Frame pacing", category=pc, tags=["GPU", "Benchmarks"], excerpt="Smooth.")
        (obj,) = get_json(client, "/api/v1/post/")["objects"]
        assert set(obj) == POST_FIELDS  # no body_html in lists
        assert obj["id"] == post.pk and obj["slug"] == post.slug and obj["excerpt"] == "Smooth."
        assert obj["url"] == f"/posts/{post.slug}/"
        assert obj["resource_uri"] == f"/api/v1/post/{post.pk}/"
        assert obj["category"] == {"name": "PC", "slug": "pc", "url": "/category/pc/"}
        assert obj["tags"] == [{"name": "Benchmarks", "slug": "benchmarks", "url": "/tag/benchmarks/"},
                               {"name": "GPU", "slug": "gpu", "url": "/tag/gpu/"}]
        assert obj["author"] == {"username": "ada", "name": "Ada Lovelace", "url": "/author/ada/"}
        assert obj["reading_time"] == post.reading_time

    def test_published_at_is_iso_8601_with_its_offset(self, client, make_post):
        post = make_post()
        published = get_json(client, "/api/v1/post/")["objects"][0]["published_at"]
        assert published.endswith("+00:00")
        assert datetime.fromisoformat(published) == post.published_at

    def test_a_post_without_category(self, client, make_post):
        make_post("Loose", category=None)
        assert get_json(client, "/api/v1/post/")["objects"][0]["category"] is None

    def test_drafts_and_scheduled_posts_are_not_listed(self, client, make_post):
        make_post("Out now")
        make_post("Secret draft", status=Post.Status.DRAFT)
        make_post("Tomorrow", ago=-timedelta(days=1))
        body = get_json(client, "/api/v1/post/")
        assert titles(body) == ["Out now"] and body["meta"]["total_count"] == 1

    def test_empty_site(self, client):
        body = get_json(client, "/api/v1/post/")
        assert body == {"meta": {"limit": 20, "offset": 0, "total_count": 0, "previous": None, "next": None},
                        "objects": []}


class TestPaging:
    def test_limit_and_offset(self, client, posts):
        body = get_json(client, "/api/v1/post/?limit=5&offset=5")
        assert titles(body) == [f"Story {n}" for n in range(5, 10)]
        assert body["meta"]["previous"] == "/api/v1/post/?limit=5&offset=0"
        assert body["meta"]["next"] == "/api/v1/post/?limit=5&offset=10"

    def test_last_page_has_no_next(self, client, posts):
        body = get_json(client, "/api/v1/post/?limit=10&offset=20")
        assert titles(body) == [f"Story {n}" for n in range(20, 25)] and body["meta"]["next"] is None

    def test_previous_from_an_offset_below_the_limit_starts_at_zero(self, client, posts):
        assert get_json(client, "/api/v1/post/?limit=10&offset=3")["meta"]["previous"] == "/api/v1/post/?limit=10&offset=0"

    def test_offset_past_the_end_is_an_empty_page(self, client, posts):
        body = get_json(client, "/api/v1/post/?offset=500")
        assert body["objects"] == [] and body["meta"]["total_count"] == 25 and body["meta"]["next"] is None

    @pytest.mark.parametrize("limit", ["101", "100000", "0"])
    def test_limit_above_the_cap_or_zero_is_the_cap(self, client, make_post, limit):
        for n in range(105):
            make_post(f"Item {n}", ago=timedelta(minutes=n + 1))
        body = get_json(client, f"/api/v1/post/?limit={limit}")
        assert body["meta"]["limit"] == 100 and len(body["objects"]) == 100
        assert body["meta"]["next"] == "/api/v1/post/?limit=100&offset=100"

    def test_next_keeps_the_filters(self, client, make_post, games):
        for n in range(3):
            make_post(category=games)
        body = get_json(client, "/api/v1/post/?category=games&limit=2")
        assert body["meta"]["next"] == "/api/v1/post/?category=games&limit=2&offset=2"


class TestFilters:
    def test_category_includes_its_subcategories(self, client, make_post, games, pc):
        make_post("On PC", category=pc, ago=timedelta(hours=1))
        make_post("Games in general", category=games, ago=timedelta(hours=2))
        make_post("Elsewhere", category=Category.objects.create(name="Music", slug="music"))
        assert titles(get_json(client, "/api/v1/post/?category=games")) == ["On PC", "Games in general"]
        assert titles(get_json(client, "/api/v1/post/?category=pc")) == ["On PC"]

    def test_tag(self, client, make_post):
        make_post("Tagged", tags=["retro"])
        make_post("Untagged")
        make_post("Draft with the tag", tags=["retro"], status=Post.Status.DRAFT)
        body = get_json(client, "/api/v1/post/?tag=retro")
        assert titles(body) == ["Tagged"] and body["meta"]["total_count"] == 1

    def test_category_and_tag_together(self, client, make_post, games):
        make_post("Both", category=games, tags=["retro"])
        make_post("Only category", category=games)
        make_post("Only tag", tags=["retro"])
        assert titles(get_json(client, "/api/v1/post/?category=games&tag=retro")) == ["Both"]

    @pytest.mark.parametrize("query", ["category=nowhere", "tag=nothing", "category=nowhere&tag=nothing"])
    def test_an_unknown_slug_is_an_empty_list(self, client, posts, query):
        body = get_json(client, f"/api/v1/post/?{query}")
        assert body["objects"] == [] and body["meta"]["total_count"] == 0


class TestBadInput:
    @pytest.mark.parametrize("query", [
        "limit=-1", "limit=abc", "limit=", "limit=01", "limit=+5", "limit=1.5", "limit=%201",
        "offset=abc", "offset=-1", "offset=", "offset=00",
        "foo=1", "format=xml", "callback=x", "order_by=title", "title__startswith=a",
        "limit=5&limit=6", "category=a%20b", "category=", "tag=%3Cscript%3E",
    ])
    def test_a_bad_list_query_is_a_400_with_a_json_error(self, client, posts, query):
        body = get_json(client, f"/api/v1/post/?{query}", status=400)
        assert set(body) == {"error"} and body["error"]

    def test_the_error_names_the_parameter(self, client):
        assert "limit" in get_json(client, "/api/v1/post/?limit=-1", status=400)["error"]
        assert "foo" in get_json(client, "/api/v1/post/?foo=1", status=400)["error"]

    @pytest.mark.parametrize("uri", [
        "/api/v1/post/1/?limit=5", "/api/v1/category/?tag=x", "/api/v1/tag/?category=x",
        "/api/v1/?fullschema=1", "/api/v1/post/schema/?x=1",
    ])
    def test_other_endpoints_refuse_unknown_parameters(self, client, make_post, uri):
        make_post()
        get_json(client, uri, status=400)

    @pytest.mark.parametrize("uri", ["/api/v1/post/abc/", "/api/v1/post/0/", "/api/v1/post/1;2/",
                                     "/api/v1/post/set/1;2/", "/api/v1/nothing/"])
    def test_malformed_ids_and_unknown_resources_are_404_not_500(self, client, make_post, uri):
        make_post()
        assert client.get(uri).status_code == 404

    def test_writes_are_refused(self, client, make_post):
        post = make_post()
        assert client.post("/api/v1/post/", data={}, content_type=JSON).status_code == 405
        assert client.delete(f"/api/v1/post/{post.pk}/").status_code == 405
        assert Post.objects.filter(pk=post.pk).exists()


class TestPostDetail:
    def test_detail_adds_the_body(self, client, make_post):
        post = make_post("Deep dive", body="<p>Long <em>read</em>.</p>")
        body = get_json(client, f"/api/v1/post/{post.pk}/")
        assert set(body) == POST_FIELDS | {"body_html"}
        assert body["body_html"] == "<p>Long <em>read</em>.</p>" and body["title"] == "Deep dive"

    @pytest.mark.parametrize("hidden", [{"status": Post.Status.DRAFT}, {"ago": -timedelta(hours=1)}])
    def test_drafts_and_scheduled_posts_are_404(self, client, make_post, hidden):
        post = make_post(**hidden)
        body = get_json(client, f"/api/v1/post/{post.pk}/", status=404)
        assert body == {"error": "No public post has this id."}


class TestCategoriesAndTags:
    def test_categories_with_their_parent(self, client, games, pc):
        body = get_json(client, "/api/v1/category/")
        assert body["meta"]["total_count"] == 2
        assert body["objects"] == [
            {"id": games.pk, "name": "Games", "slug": "games", "description": "All about games.",
             "parent": None, "url": "/category/games/", "resource_uri": f"/api/v1/category/{games.pk}/"},
            {"id": pc.pk, "name": "PC", "slug": "pc", "description": "",
             "parent": f"/api/v1/category/{games.pk}/", "url": "/category/pc/",
             "resource_uri": f"/api/v1/category/{pc.pk}/"},
        ]
        assert get_json(client, f"/api/v1/category/{pc.pk}/")["name"] == "PC"

    def test_tags_of_public_posts_only(self, client, make_post):
        make_post(tags=["Retro"])
        make_post(tags=["Leak"], status=Post.Status.DRAFT)
        body = get_json(client, "/api/v1/tag/")
        retro = Tag.objects.get(slug="retro")
        assert body["objects"] == [{"id": retro.pk, "name": "Retro", "slug": "retro", "url": "/tag/retro/",
                                    "resource_uri": f"/api/v1/tag/{retro.pk}/"}]
        leak = Tag.objects.get(slug="leak")
        get_json(client, f"/api/v1/tag/{leak.pk}/", status=404)

    def test_category_and_tag_lists_page_too(self, client):
        for n in range(3):
            Category.objects.create(name=f"Section {n}", slug=f"section-{n}")
        body = get_json(client, "/api/v1/category/?limit=2&offset=2")
        assert [c["slug"] for c in body["objects"]] == ["section-2"]
        assert body["meta"]["previous"] == "/api/v1/category/?limit=2&offset=0"

    def test_index_lists_the_resources(self, client):
        body = get_json(client, "/api/v1/")
        assert body["post"]["list_endpoint"] == "/api/v1/post/"
        assert set(body) == {"post", "category", "tag"}
        assert get_json(client, body["post"]["schema"])["default_limit"] == 20


class TestSharedAnswers:
    """What lets Nginx serve one stored answer to every request for its URL."""

    def test_no_vary_no_cookie_no_cache_control(self, client, posts):
        response = client.get("/api/v1/post/")
        assert response["Content-Type"] == JSON  # exactly what Nginx labels an /api/ hit
        assert not response.has_header("Vary") and not response.cookies
        assert not response.has_header("Cache-Control")

    def test_the_answer_ignores_accept_and_ajax_headers(self, client, posts):
        plain = client.get("/api/v1/post/")
        for headers in ({"Accept": "application/xml"}, {"Accept": "text/html"}, {"Accept": "nonsense;;"}):
            other = client.get("/api/v1/post/", headers=headers)
            assert other.content == plain.content and other["Content-Type"] == JSON

    def test_a_logged_in_editor_gets_the_same_answer(self, client, posts, admin_user):
        anonymous = client.get("/api/v1/post/").content
        client.force_login(admin_user)
        assert client.get("/api/v1/post/").content == anonymous

    def test_head_is_answered_like_get(self, client, posts):
        response = client.head("/api/v1/post/")
        assert response.status_code == 200 and response["Content-Type"] == JSON


def tags_of(uri: str) -> set[str]:
    """Return the surrogate keys the view at ``uri`` declares while it renders."""
    request = RequestFactory().get(uri)
    match = resolve(request.path)
    with collecting() as tags:
        response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200, response.content
    return tags


class TestSurrogateKeys:
    def test_the_post_list_shows_all_posts_and_each_post(self, make_post):
        post = make_post()
        tags = tags_of("/api/v1/post/")
        assert {ALL_POSTS, instance_tag(Post, post.pk)} <= tags

    def test_a_category_list_is_that_categorys_list(self, make_post, games, pc):
        make_post(category=pc)
        tags = tags_of("/api/v1/post/?category=games")
        assert category_posts(games.pk) in tags and ALL_POSTS not in tags

    def test_a_tag_list_is_that_tags_list(self, make_post):
        make_post(tags=["retro"])
        tags = tags_of("/api/v1/post/?tag=retro")
        assert tag_posts(Tag.objects.get(slug="retro").pk) in tags and ALL_POSTS not in tags

    def test_unknown_slugs_wait_for_a_category_or_tag_of_that_name(self, db):
        assert ALL_CATEGORIES in tags_of("/api/v1/post/?category=soon")
        assert ALL_TAGS in tags_of("/api/v1/post/?tag=soon")

    def test_the_detail_shows_the_body(self, make_post):
        post = make_post()
        assert {post_page(post.pk), instance_tag(Post, post.pk)} <= tags_of(f"/api/v1/post/{post.pk}/")

    def test_category_and_tag_lists(self, make_post, games):
        make_post(tags=["retro"])
        assert ALL_CATEGORIES in tags_of("/api/v1/category/")
        assert {ALL_TAGS, ALL_POSTS} <= tags_of("/api/v1/tag/")


class TestCoverArt:
    def test_the_card_cover_is_the_one_the_pages_print(self, make_post):
        post = make_post(slug="space-invaders")
        art = cover_art(post)
        assert art["palette"] == cover(post)
        assert len(art["cells"]) == str(sprite(post)).count("<rect") > 0
        svg = str(sprite(post))
        assert f'viewBox="{art["view_box"]}"' in svg
        # Drawn back from the data, the cells are the sprite's own rects.
        for cell in art["cells"]:
            assert f'<rect x="{cell["x"]}" y="{cell["y"]}" width="{cell["width"]}" height="{cell["height"]}"/>' in svg


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("erin", password="pw-unused", first_name="Erin",
                                                 last_name="Editor", is_staff=True)
    codenames = ["add_post", "change_post", "view_post"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="blog", codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # fresh: permissions are cached per object


class TestMe:
    def test_anonymous(self, client):
        response = client.get("/api/v1/me/")
        assert response["Content-Type"] == JSON
        assert response.json() == {"authenticated": False, "editor": False, "username": None, "name": None,
                                   "links": [], "edit_url": None, "logout": None}

    @pytest.mark.parametrize("login", [False, True])
    def test_never_cached(self, client, editor, login):
        if login:
            client.force_login(editor)
        cache_control = client.get("/api/v1/me/")["Cache-Control"]
        assert {"no-cache", "no-store", "private"} <= {d.strip() for d in cache_control.split(",")}

    def test_a_user_who_is_not_staff_is_no_editor(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("reader", password="pw-unused"))
        body = client.get("/api/v1/me/?post=3").json()
        assert body["authenticated"] is True and body["editor"] is False
        assert body["username"] == "reader" and body["links"] == [] and body["edit_url"] is None

    def test_an_editor_gets_admin_links_and_the_edit_link(self, client, editor):
        client.force_login(editor)
        body = client.get("/api/v1/me/?post=12").json()
        assert body["editor"] is True and body["name"] == "Erin Editor" and body["username"] == "erin"
        assert body["links"] == [{"label": "Dashboard", "url": "/admin/"},
                                 {"label": "Posts", "url": "/admin/blog/post/"},
                                 {"label": "New post", "url": "/admin/blog/post/add/"}]
        assert body["edit_url"] == "/admin/blog/post/12/change/"
        assert body["logout"]["url"] == "/admin/logout/" and body["logout"]["csrf_token"]

    def test_staff_without_post_permissions_get_no_post_links(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("sam", password="pw-unused", is_staff=True))
        body = client.get("/api/v1/me/?post=12").json()
        assert body["editor"] is True
        assert body["links"] == [{"label": "Dashboard", "url": "/admin/"}] and body["edit_url"] is None

    def test_an_inactive_staff_member_is_no_editor(self, client, editor):
        client.force_login(editor)
        editor.is_active = False
        editor.save()
        assert client.get("/api/v1/me/").json()["editor"] is False

    @pytest.mark.parametrize("query", ["post=abc", "post=0", "post=-1", "post=", "foo=1", "post=1&post=2"])
    def test_bad_parameters_are_a_400_with_a_json_error(self, client, query):
        response = client.get(f"/api/v1/me/?{query}")
        assert response.status_code == 400 and response["Content-Type"] == JSON
        assert set(response.json()) == {"error"}

    def test_only_get(self, client):
        assert client.post("/api/v1/me/").status_code == 405
