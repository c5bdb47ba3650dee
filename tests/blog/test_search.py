"""Search on whichever database the run uses: SQLite FTS5, or PostgreSQL (make test-postgres)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from pytest_django.asserts import assertContains, assertNotContains

from blog import search
from blog.models import Category, Post, Tag
from tests.factories import make_post

pytestmark = pytest.mark.django_db


def found(words: str) -> list[str]:
    results = search.search(search.terms(words), 0, 50)
    return [Post.objects.get(pk=hit.post_id).title for hit in results.hits]


class TestTerms:
    @pytest.mark.parametrize("query", ["", "   ", "!!! ???", "-- /* */ ' \" ; *", "x" * 201])
    def test_queries_with_no_words_or_too_long_are_problems(self, query):
        with pytest.raises(search.QueryProblem):
            search.terms(query)

    def test_syntax_of_either_engine_is_only_words(self):
        assert search.terms('title:"foo" OR bar* NEAR(x) & !baz') == ["title", "foo", "or", "bar", "near", "x", "baz"]


class TestSearching:
    def test_ranked_title_first_and_only_public_posts(self):
        make_post("Zelda review", body="<p>A long adventure.</p>", ago=timedelta(days=3))
        make_post("Hardware roundup", body="<p>We also played Zelda on the handheld.</p>", ago=timedelta(days=1))
        make_post("Zelda draft", status=Post.Status.DRAFT)
        make_post("Zelda scheduled", ago=-timedelta(days=2))
        assert found("zelda") == ["Zelda review", "Hardware roundup"]

    def test_every_word_must_match_stemmed_and_last_as_prefix(self):
        make_post("Racing games of the year", body="<p>Fast cars.</p>")
        make_post("Racing bikes", body="<p>Pedals.</p>")
        assert found("race game") == ["Racing games of the year"]  # stems: racing/race, games/game
        assert found("racing ped") == ["Racing bikes"]

    def test_tags_category_and_excerpt_are_searched(self):
        post = make_post("Plain title", body="<p>Nothing here.</p>", tags=["Speedrun"])
        post.category = Category.objects.create(name="Esports", slug="esports")
        post.save()
        other = make_post("Another", excerpt="An excerpt about chiptune music")
        assert found("speedrun") == ["Plain title"] and found("esports") == ["Plain title"]
        assert found("chiptune") == [other.title]

    def test_kept_current_on_save_tags_and_renames(self):
        post = make_post("Sunrise", body="<p>old words</p>")
        post.title, post.body = "Sunset", "<p>new words</p>"
        post.save()
        assert found("sunrise") == [] and found("sunset") == ["Sunset"]
        tag = Tag.objects.create(name="Retro", slug="retro")
        post.tags.add(tag)
        assert found("retro") == ["Sunset"]
        tag.name = "Vintage"
        tag.save()
        assert found("vintage") == ["Sunset"] and found("retro") == []
        post.delete()
        assert found("sunset") == []

    def test_reverse_tag_changes_reindex_the_posts(self):
        tag = Tag.objects.create(name="Roguelike", slug="roguelike")
        first, second = make_post("First one"), make_post("Second one")
        tag.posts.add(first, second)
        assert sorted(found("roguelike")) == ["First one", "Second one"]
        tag.posts.remove(first)
        assert found("roguelike") == ["Second one"]
        tag.posts.add(first)
        tag.posts.clear()  # names no post: the ones it leaves are read before it
        assert found("roguelike") == []
        assert sorted(found("one")) == ["First one", "Second one"]  # the posts themselves stay

    def test_other_categories_are_searched_and_kept_current_from_either_side(self):
        section = Category.objects.create(name="Handhelds", slug="handhelds")
        nested = Category.objects.create(name="Portables", slug="portables", parent=section)
        post, other = make_post("Filed twice"), make_post("Filed elsewhere")
        post.extra_categories.add(nested)
        assert found("portables") == ["Filed twice"] and found("handhelds") == ["Filed twice"]
        nested.extra_posts.add(other)
        assert sorted(found("portables")) == ["Filed elsewhere", "Filed twice"]
        nested.extra_posts.clear()
        assert found("portables") == []
        post.extra_categories.add(nested)
        section.name = "Pocket consoles"
        section.save()  # a parent renamed: the posts filed below it
        assert found("pocket") == ["Filed twice"] and found("handhelds") == []

    def test_deleted_tags_and_categories_leave_the_index(self):
        tag = Tag.objects.create(name="Metroidvania", slug="metroidvania")
        category = Category.objects.create(name="Platformers", slug="platformers")
        post = make_post("Castle story", tags=[])
        post.tags.add(tag)
        post.category = category
        post.save()
        extra = make_post("Side story")
        extra.extra_categories.add(category)
        tag.delete()
        category.delete()
        assert found("metroidvania") == [] and found("platformers") == []
        assert sorted(found("story")) == ["Castle story", "Side story"]

    def test_updates_without_save_are_kept_current(self):
        esports = Category.objects.create(name="Esports", slug="esports")
        post = make_post("Filed", category=esports, tags=["Speedrun"])
        assert found("esports") == ["Filed"]
        esports.posts.clear()  # a bulk UPDATE: no save, no post_save
        assert found("esports") == []
        Post.objects.filter(pk=post.pk).update(title="Retitled by update")
        assert found("retitled") == ["Retitled by update"]
        Tag.objects.filter(slug="speedrun").update(name="Marathon")
        assert found("marathon") == ["Retitled by update"] and found("speedrun") == []

    def test_highlighted_and_escaped(self):
        make_post("Tips & <tricks> for Elden Ring", body="<p>Some &lt;b&gt; text, then the elden boss fight.</p>")
        [hit] = search.search(search.terms("elden"), 0, 10).hits
        assert "<mark>Elden</mark>" in hit.title and "&lt;tricks&gt;" in hit.title and "<tricks>" not in hit.title
        assert "<mark>elden</mark>" in hit.snippet and "<b>" not in hit.snippet  # PostgreSQL drops "<b>"; SQLite escapes it

    def test_reindex_after_bulk_creates(self):
        model = make_post("Model", body="<p>first</p>")
        [post] = Post.objects.bulk_create([Post(title="Created quietly", slug="quiet", body="<p>x</p>",
                                                body_html="<p>x</p>", status=Post.Status.PUBLISHED,
                                                published_at=model.published_at, author=model.author)])
        assert found("quietly") == []  # bulk_create sends no signal
        search.reindex([post.pk])
        assert found("quietly") == ["Created quietly"]
        assert search.rebuild() == Post.objects.count()


class TestSearchPage:
    def test_results_paginated_with_the_query_kept(self, client):
        for number in range(12):
            make_post(f"Console story {number}", ago=timedelta(hours=number + 1))
        page = client.get("/search/?q=console")
        assertContains(page, "12 stories found")
        assertContains(page, "<mark>Console</mark>")
        assertContains(page, 'href="?q=console&amp;page=2"')
        second = client.get("/search/?q=console&page=2")
        assert second.status_code == 200 and second.content.decode().count('class="search-result"') == 2
        assert client.get("/search/?q=console&page=3").status_code == 404
        assert "no-store" in page.headers["Cache-Control"]

    @pytest.mark.parametrize("query, message", [
        ("", "Type a word"), ("%21%21%21", "punctuation alone"), ("x" * 300, "too long"),
    ])
    def test_friendly_pages_for_bad_queries(self, client, query, message):
        page = client.get(f"/search/?q={query}")
        assert page.status_code == 200
        assertContains(page, message)

    @pytest.mark.parametrize("query, page", [("console", "1"), ("console", "2"), ("nothingmatches", "1")])
    def test_a_page_of_results_is_one_search(self, client, monkeypatch, query, page):
        for number in range(12):
            make_post(f"Console story {number}", ago=timedelta(hours=number + 1))
        calls = []
        real = search.search
        monkeypatch.setattr(search, "search", lambda *args: calls.append(args) or real(*args))
        assert client.get(f"/search/?q={query}&page={page}").status_code == 200
        assert len(calls) == 1  # the count and the page come from the same query

    def test_no_results_and_no_query(self, client):
        assertContains(client.get("/search/?q=nothingmatches"), "Nothing matches")
        assertNotContains(client.get("/search/"), "Nothing matches")

    def test_search_box_on_every_page(self, client):
        make_post("Any", slug="any")
        for url in ["/", "/posts/any/"]:
            assertContains(client.get(url), 'action="/search/"')


def test_engine_in_use():
    """Which engine this run exercised (both run under make test)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {search.TABLE}")
    assert connection.vendor in ("sqlite", "postgresql")


def test_password_protected_posts_are_never_found():
    make_post("Members only zelda", wordpress_protected=True)
    assert found("zelda") == []


def test_many_matches_the_newest_are_counted_ranked_and_shown_once(monkeypatch):
    """Past MAX_RESULTS matches: the newest MAX_RESULTS ranked, "more" said, no post repeated."""
    monkeypatch.setattr(search, "MAX_RESULTS", 4)
    posts = [make_post(f"Retro story {n}") for n in range(4)]  # newest: the last added
    best = make_post("Retro retro retro")  # the best ranked, the 4th newest
    posts += [make_post(f"Retro story {n}") for n in range(4, 7)]
    make_post("Retro scheduled", ago=-timedelta(days=1))
    seen = []
    for offset in range(0, 6, 2):
        results = search.search(["retro"], offset, 2)
        assert results.total == 4 and results.more
        seen += [hit.post_id for hit in results.hits]
    assert seen[0] == best.pk and sorted(seen) == sorted(post.pk for post in [*posts[-3:], best])
    exact = search.search(["story"], 0, 10)  # 7 matches > 4
    assert exact.more and exact.total == 4
    few = search.search(["scheduled"], 0, 10)
    assert (few.total, few.more, few.hits) == (0, False, [])


def test_search_page_says_more_than_the_cap(client, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    for number in range(5):
        make_post(f"Arcade story {number}")
    assertContains(client.get("/search/?q=arcade"), "More than 3 stories found")
    monkeypatch.setattr(search, "MAX_RESULTS", 1000)
    assertContains(client.get("/search/?q=arcade"), "5 stories found")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_postgresql_search_leaves_the_planner_as_it_was():
    from django.db import transaction

    make_post("Planner story")
    with transaction.atomic(), connection.cursor() as cursor:
        assert search.search(["planner"], 0, 10).total == 1
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')")
        assert cursor.fetchone() == ("on", "on")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage")
def test_postgresql_rows_stay_narrow():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [search.TABLE])
        assert f"toast_tuple_target={search.TOAST_TUPLE_TARGET}" in cursor.fetchone()[0]


class TestWindows:
    """PostgreSQL looks among the newest eras first and widens as far as the matches say."""

    def test_a_small_site_is_searched_whole_at_once(self):
        assert search.first_floor(0) is None and search.first_floor(3 * search.ERA_POSTS) is None

    def test_the_first_window_is_the_newest_eras(self):
        newest = 30 * search.ERA_POSTS
        assert search.first_floor(newest) == 30 - search.FIRST_WINDOW_ERAS + 1

    def test_widened_as_far_as_the_matches_found_say(self, monkeypatch):
        monkeypatch.setattr(search, "MAX_RESULTS", 1000)
        monkeypatch.setattr(search, "ERA_POSTS", 1000)
        # 500 matches in the 3,001 newest ids: 1,001 need ~6,000 ids, aimed at 1.25 times that.
        assert search.wider_floor(30_000, 27, 500) == 22
        assert search.wider_floor(30_000, 27, 1000) == 26  # always at least an era wider
        assert search.wider_floor(30_000, 27, 0) is None  # nothing to go by: everywhere
        assert search.wider_floor(30_000, 27, 20) is None  # back past the first era: everywhere

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's eras")
    @pytest.mark.parametrize("word, expected, windows", [
        ("lantern", [59_004, 59_003, 59_002], 1),  # enough in the first window: nothing older read
        ("mosaic", [59_002, 59_001, 50_002], 2),  # two in the first window, the third from a wider one
        ("fossil", [50_002, 50_001], 2),  # none in the first window, then everywhere
    ])
    def test_the_newest_matches_whatever_the_window(self, monkeypatch, word, expected, windows):
        from django.test.utils import CaptureQueriesContext

        monkeypatch.setattr(search, "MAX_RESULTS", 3)
        assert search.ERA_POSTS == 1000  # the ids below: era 50, and eras 56 to 59 the first window
        for pk, words in [(50_001, "mosaic fossil lantern"), (50_002, "mosaic fossil"),
                          (59_001, "mosaic lantern"), (59_002, "mosaic lantern"), (59_003, "lantern"),
                          (59_004, "lantern"), (59_500, "unrelated")]:
            make_post(f"Story {pk}", pk=pk, body=f"<p>{words}</p>")
        with CaptureQueriesContext(connection) as run:
            results = search.search([word], 0, 10)
        assert sorted(hit.post_id for hit in results.hits) == sorted(expected)
        assert results.total == len(expected) and results.more == (word != "fossil")
        assert sum("ORDER BY s.post_id DESC LIMIT" in query["sql"] for query in run.captured_queries) == windows

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index")
    def test_one_gin_index_holds_the_era_and_the_document(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [search.TABLE])
            definitions = [row[0] for row in cursor.fetchall()]
        assert [d for d in definitions if "gin" in d] == [
            f"CREATE INDEX {search.TABLE}_era_document ON public.{search.TABLE} USING gin (era, document)"]
