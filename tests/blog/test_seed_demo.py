"""``manage.py seed_demo`` and ``blog.demo.seed_demo``: counts, determinism, idempotence."""
from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from blog.demo import seed_demo
from blog.models import Category, Post, Tag

PROJECT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)


def snapshot() -> list[tuple]:
    """Return everything a reader could tell two seeded databases apart by."""
    posts = Post.objects.select_related("author", "category").prefetch_related("tags").order_by("slug")
    return [
        (p.title, p.slug, p.body, p.status, p.published_at, p.category.slug, p.author.username,
         sorted(tag.slug for tag in p.tags.all()))
        for p in posts
    ]


def wipe() -> None:
    Post.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.all().delete()


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestSeedDemoCommand:
    def test_default_run_writes_sixty_posts(self):
        output = run()
        assert Post.objects.count() == 60
        assert Post.objects.public().count() == 57
        assert Post.objects.filter(status=Post.Status.DRAFT).count() == 2
        assert Post.objects.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now()).count() == 1
        assert "Created 60 posts (57 published, 2 drafts, 1 scheduled)" in output

    def test_categories_nest_and_authors_have_names(self):
        run("--posts", "20")
        assert Category.objects.filter(parent=None).count() >= 3
        assert Category.objects.get(slug="pc").parent.slug == "games"
        assert Category.objects.get(slug="console").parent.slug == "games"
        authors = get_user_model().objects.filter(posts__isnull=False).distinct()
        assert 3 <= authors.count() <= 5
        for user in authors:
            assert user.first_name and user.last_name
            assert not user.has_usable_password()
        assert Tag.objects.filter(posts__isnull=False).distinct().count() >= 10

    def test_posts_are_realistic_html_with_derived_fields(self):
        run("--posts", "30", "--seed", "4")
        bodies = list(Post.objects.values_list("body", flat=True))
        assert all("<p>" in body and "<h2>" in body for body in bodies)
        assert any("<ul>" in body or "<ol>" in body for body in bodies)
        assert any("<blockquote>" in body for body in bodies)
        for post in Post.objects.all():
            assert post.body_html and post.excerpt and post.reading_time >= 1
            assert 2 <= post.tags.count() <= 4
        assert len(set(Post.objects.values_list("title", flat=True))) == 30

    def test_published_dates_spread_over_about_eighteen_months(self):
        run("--posts", "60")
        dates = list(Post.objects.public().values_list("published_at", flat=True))
        now = timezone.now()
        assert min(dates) >= now - datetime.timedelta(days=541)
        assert max(dates) - min(dates) > datetime.timedelta(days=300)

    def test_second_run_does_nothing_and_says_so(self):
        run("--posts", "12")
        before = snapshot()
        output = run("--posts", "12")
        assert "Posts already exist" in output
        assert snapshot() == before

    def test_any_existing_post_counts_as_not_empty(self, make_post):
        make_post()
        assert "Nothing changed" in run()
        assert Post.objects.count() == 1

    @pytest.mark.parametrize("posts", ["0", "-3", "10001"])
    def test_out_of_range_post_count_is_a_command_error(self, posts):
        with pytest.raises(CommandError, match="--posts must be between 1 and 10000"):
            run("--posts", posts)
        assert not Post.objects.exists()

    @pytest.mark.parametrize("args", [("--posts", "many"), ("--seed", "x")])
    def test_non_numbers_are_a_command_error(self, args):
        with pytest.raises(CommandError):
            run(*args)


@pytest.mark.django_db
class TestSeedDemoDeterminism:
    def test_same_seed_same_content(self):
        seed_demo(posts=25, seed=7, now=NOW)
        first = snapshot()
        wipe()
        seed_demo(posts=25, seed=7, now=NOW)
        assert snapshot() == first

    def test_same_seed_on_another_day_changes_only_dates(self):
        seed_demo(posts=15, seed=7, now=NOW)
        first = [row[:4] for row in snapshot()]
        wipe()
        seed_demo(posts=15, seed=7, now=NOW + datetime.timedelta(days=40))
        assert [row[:4] for row in snapshot()] == first

    def test_same_day_same_dates_whatever_the_hour(self):
        seed_demo(posts=10, seed=2, now=NOW.replace(hour=0, minute=1))
        first = snapshot()
        wipe()
        seed_demo(posts=10, seed=2, now=NOW.replace(hour=23, minute=59))
        assert snapshot() == first

    def test_another_seed_other_titles(self):
        seed_demo(posts=10, seed=1, now=NOW)
        first = {row[0] for row in snapshot()}
        wipe()
        seed_demo(posts=10, seed=2, now=NOW)
        assert {row[0] for row in snapshot()} != first

    def test_rejects_a_bad_count(self):
        with pytest.raises(ValueError):
            seed_demo(posts=0)


class TestSeedDemoInFreshDatabases:
    """Two processes, two new SQLite files: nothing shared but the seed."""

    def seeded_titles(self, database: Path) -> list[tuple[str, str]]:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1",
               "DJANGO_SETTINGS_MODULE": "site_project.settings", "PYTHONHASHSEED": "random"}
        for command in (["migrate", "-v0"], ["seed_demo", "--posts", "12", "--seed", "5"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT, env=env,
                           check=True, capture_output=True, timeout=120)
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT title, slug FROM blog_post ORDER BY slug").fetchall()

    def test_two_fresh_databases_get_the_same_posts(self, tmp_path: Path):
        first = self.seeded_titles(tmp_path / "one.sqlite3")
        second = self.seeded_titles(tmp_path / "two.sqlite3")
        assert len(first) == 12
        assert first == second
