"""The read-side queries behind the pages, sidebar, feed and sitemap."""
from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from blog import queries
from blog.models import Category, Post


@pytest.mark.django_db
class TestSidebarQueries:
    def test_latest_posts_are_the_newest_public_ones(self, make_post):
        posts = [make_post(ago=timedelta(hours=hours)) for hours in (1, 2, 3)]
        make_post(status=Post.Status.DRAFT, ago=timedelta(minutes=1))
        make_post(ago=-timedelta(hours=1))
        assert queries.latest_posts(2) == posts[:2]

    def test_popular_tags_rank_by_public_posts_then_name(self, make_post):
        make_post(tags=["Indie", "RPG"])
        make_post(tags=["RPG"])
        make_post(tags=["Arcade"])
        for _ in range(3):
            make_post(tags=["Hidden", "Arcade"], status=Post.Status.DRAFT)
        ranked = queries.popular_tags(10)
        assert [(tag.name, tag.post_count) for tag in ranked] == [("RPG", 2), ("Arcade", 1), ("Indie", 1)]
        assert [tag.name for tag in queries.popular_tags(1)] == ["RPG"]

    def test_nav_categories_are_the_top_level_ones(self, games, pc):
        culture = Category.objects.create(name="Culture", slug="culture")
        assert queries.nav_categories() == [culture, games]

    def test_archive_months_are_newest_first_and_public_only(self, make_post):
        make_post(ago=timedelta(days=70))
        make_post(ago=timedelta(days=1))
        make_post(status=Post.Status.DRAFT, ago=timedelta(days=400))
        months = queries.archive_months()
        now = timezone.localtime()
        assert months[0] == datetime.date((now - timedelta(days=1)).year, (now - timedelta(days=1)).month, 1)
        assert len(months) == 2 and months[0] > months[1]


@pytest.mark.django_db
class TestListingQueries:
    def test_descendant_ids_cover_every_level_and_survive_a_cycle(self, games, pc):
        budget = Category.objects.create(name="Budget", slug="budget", parent=pc)
        assert queries.descendant_ids(games) == {games.pk, pc.pk, budget.pk}
        assert queries.descendant_ids(pc) == {pc.pk, budget.pk}
        games.parent = budget
        games.save()
        assert queries.descendant_ids(pc) == {pc.pk, budget.pk, games.pk}

    def test_posts_in_month_uses_whole_months(self, make_post):
        def at(when: datetime.datetime) -> Post:
            post = make_post()
            post.published_at = when
            post.save()
            return post

        utc = datetime.timezone.utc
        inside = [at(datetime.datetime(2024, 12, 1, tzinfo=utc)),
                  at(datetime.datetime(2024, 12, 31, 23, 59, tzinfo=utc))]
        at(datetime.datetime(2025, 1, 1, tzinfo=utc))
        at(datetime.datetime(2024, 11, 30, 23, 59, tzinfo=utc))
        assert set(queries.posts_in_month(2024, 12)) == set(inside)

    def test_adjacent_posts_skip_hidden_ones(self, make_post):
        first = make_post(ago=timedelta(days=3))
        make_post(ago=timedelta(days=2), status=Post.Status.DRAFT)
        middle = make_post(ago=timedelta(days=1))
        assert queries.adjacent_posts(middle) == (None, first)
        assert queries.adjacent_posts(first) == (middle, None)

    def test_related_posts_share_the_top_level_section(self, make_post, games, pc):
        post = make_post(category=pc)
        sibling = make_post(category=games, ago=timedelta(hours=2))
        make_post(category=None)
        assert queries.related_posts(post) == [sibling]
        assert queries.related_posts(make_post(category=None)) == []


@pytest.mark.django_db
class TestSitemapQueries:
    def test_public_categories_include_parents_of_used_ones(self, make_post, games, pc):
        Category.objects.create(name="Empty", slug="empty")
        make_post(category=pc)
        make_post(category=Category.objects.create(name="Drafts", slug="drafts"), status=Post.Status.DRAFT)
        assert [category.slug for category in queries.public_categories()] == ["games", "pc"]

    def test_public_authors_and_tags(self, make_post, author, django_user_model):
        ghost = django_user_model.objects.create_user("ghost")
        make_post(tags=["RPG", "RPG-too"])
        make_post(tags=["Secret"], author=ghost, status=Post.Status.DRAFT)
        assert list(queries.public_authors()) == [author]
        assert queries.public_author("ghost") is None
        assert [tag.slug for tag in queries.public_tags()] == ["rpg", "rpg-too"]
