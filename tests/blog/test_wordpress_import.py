"""blog.wordpress.importer and ``manage.py import_wordpress``, in this process."""
from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone as dj_timezone

from blog import invalidation
from blog.clusters import Cluster
from blog.models import Category, Post, Tag
from blog.wordpress.generate import write_export
from blog.wordpress.importer import import_export

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
BAD = FIXTURES / "bad"
User = get_user_model()


@pytest.fixture
def purges(monkeypatch) -> list[list[int]]:
    """Record every call to blog.invalidation.purge_posts (the cache layer's one-round-trip purge)."""
    calls: list[list[int]] = []
    monkeypatch.setattr(invalidation, "purge_posts", lambda ids: calls.append(sorted(ids)))
    # Pages and old addresses go in a purge of their own; these tests count the posts' one.
    monkeypatch.setattr("blog.wordpress.writers.purge_pages", lambda pages, addresses=(): None)
    return calls


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """Everything an import decides about each post, comparable across runs."""
    return [
        (p.wordpress_id, p.slug, p.title, p.status, p.published_at, p.author.username,
         p.category.slug if p.category else None, tuple(sorted(t.slug for t in p.tags.all())))
        for p in Post.objects.select_related("author", "category").order_by("wordpress_id")
    ]


@pytest.mark.django_db
class TestImportFixture:
    def test_imports_posts_and_skips_the_rest(self, purges, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            output = run(FIXTURES / "wxr-1.2.xml")
        assert sorted(Post.objects.values_list("wordpress_id", flat=True)) == [101, 102, 103, 104, 105]
        assert "5 posts (5 created, 0 updated, 0 unchanged)" in output
        assert "1 pages (1 created" in output  # pages are imported too
        assert ("skipped 1 nav_menu_item (menus are not imported), "
                "1 revision (an older revision of a post)") in output
        # The attachment's old site does not exist: listed as failed, the rest imported.
        assert "0 attachments (0 created, 0 updated, 0 unchanged, 1 failed)" in output
        assert "failed attachment 201 'harbour.jpg': cannot download" in output
        assert purges == [sorted(Post.objects.values_list("pk", flat=True))]

    def test_no_purge_per_save(self, purges, monkeypatch, django_capture_on_commit_callbacks):
        per_save: list[set[str]] = []
        monkeypatch.setattr("cachekeys.tracking.purge_tags", lambda tags: per_save.append(set(tags)))
        with django_capture_on_commit_callbacks(execute=True):
            run(FIXTURES / "wxr-1.2.xml")
        assert per_save == []  # the save tracker was paused for the import...
        assert len(purges) == 1  # ...which purged its posts once, through blog.invalidation

    def test_no_purge_option(self, purges, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            run(FIXTURES / "wxr-1.2.xml", "--no-purge")
        assert Post.objects.count() == 5 and purges == []

    def test_post_fields(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        post = Post.objects.get(wordpress_id=101)
        assert post.title == "Boats in the harbour"
        assert post.slug == "boats-in-the-harbour"
        assert post.status == Post.Status.PUBLISHED
        assert post.published_at == datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
        assert post.author.username == "ada"
        assert post.category.slug == "harbour"
        assert sorted(post.tags.values_list("slug", flat=True)) == ["boats", "winter"]
        assert post.excerpt == "Dawn at the harbour."  # HTML stripped
        assert post.body.startswith("<p>The boats came in at dawn.</p>\n<p>Fishermen unloaded the catch.<br>")

    def test_no_script_survives(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        post = Post.objects.get(wordpress_id=101)
        for html in (post.body, post.body_html):
            assert "<script" not in html
            assert "alert" not in html
            assert "onerror" not in html
        assert '<img src="x.png">' in post.body_html

    def test_statuses_and_dates(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        by_id = {p.wordpress_id: p for p in Post.objects.all()}
        future = by_id[104]
        assert future.status == Post.Status.PUBLISHED
        assert future.published_at == datetime(2030, 6, 1, 8, 0, tzinfo=timezone.utc)
        assert not future.is_public  # scheduled: readers see it from its date on
        assert by_id[105].status == Post.Status.DRAFT  # private
        draft = by_id[103]
        assert draft.status == Post.Status.DRAFT
        # wp:post_date_gmt is 0000-00-00: the local wp:post_date, read in TIME_ZONE (UTC).
        assert draft.published_at == datetime(2024, 1, 3, 12, 30, tzinfo=timezone.utc)
        assert set(Post.objects.public().values_list("wordpress_id", flat=True)) == {101, 102}

    def test_duplicate_empty_and_encoded_slugs_become_unique(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        slugs = dict(Post.objects.values_list("wordpress_id", "slug"))
        assert slugs[101] == "boats-in-the-harbour"
        assert slugs[102] == "boats-in-the-harbour-2"  # same WordPress slug as 101
        assert slugs[103] == "a-draft-nobody-named"  # empty slug: from the title
        assert slugs[104] == "post-104"  # %e6%97%a5%e6%9c%ac and no title: nothing ASCII left
        assert len(set(slugs.values())) == 5

    def test_missing_author_still_gets_a_user(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        ghost = User.objects.get(username="ghost")
        assert not ghost.has_usable_password()
        assert Post.objects.get(wordpress_id=103).author == ghost
        ada = User.objects.get(username="ada")
        assert (ada.email, ada.first_name, ada.last_name) == ("ada@old.example", "Ada", "Lovelace")
        assert not ada.has_usable_password()

    def test_existing_user_is_kept_as_is(self, purges):
        editor = User.objects.create_user("ada", email="ada@magazine.example", password="s3cret-pass")
        run(FIXTURES / "wxr-1.2.xml")
        editor.refresh_from_db()
        assert editor.email == "ada@magazine.example"
        assert editor.check_password("s3cret-pass")
        assert Post.objects.get(wordpress_id=101).author == editor

    def test_categories_with_parents_and_tags(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        harbour = Category.objects.get(slug="harbour")
        assert harbour.parent.slug == "city"  # listed before its parent in the file
        city = Category.objects.get(slug="city")
        assert (city.name, city.description) == ("City & Region", "News from the city")
        assert Category.objects.get(slug="category-4").name == "日本"  # nicename not ASCII
        assert Post.objects.get(wordpress_id=104).category.slug == "category-4"
        assert set(Tag.objects.values_list("slug", "name")) == {
            ("boats", "Boats"), ("winter", "Winter"), ("new-tag", "New tag"),  # last: undeclared
        }

    def test_wxr_10(self, purges):
        output = run(FIXTURES / "wxr-1.0.xml")
        assert "1 posts (1 created" in output
        post = Post.objects.get(wordpress_id=1)
        assert (post.author.username, post.category.slug) == ("admin", "uncategorized")
        assert list(post.tags.values_list("slug", flat=True)) == ["news"]

    def test_wxr_11(self, purges):
        output = run(FIXTURES / "wxr-1.1.xml")
        assert "2 posts (2 created" in output and "skipped 1 revision" in output
        night = Post.objects.get(wordpress_id=7)
        assert (night.slug, night.status, night.author.username) == ("night-train", "published", "admin")
        assert night.category.slug == "travel"
        assert list(night.tags.values_list("slug", flat=True)) == ["trains"]
        assert Post.objects.get(wordpress_id=8).status == Post.Status.DRAFT  # pending


@pytest.mark.django_db
class TestReimport:
    def test_same_export_again_adds_and_changes_nothing(self, purges, django_capture_on_commit_callbacks):
        run(FIXTURES / "wxr-1.2.xml")
        before = snapshot()
        stamps = dict(Post.objects.values_list("pk", "updated_at"))
        counts = (Post.objects.count(), User.objects.count(), Category.objects.count(), Tag.objects.count())
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            output = run(FIXTURES / "wxr-1.2.xml")
        assert "5 posts (0 created, 0 updated, 5 unchanged)" in output
        assert snapshot() == before
        assert dict(Post.objects.values_list("pk", "updated_at")) == stamps  # not even saved
        assert (Post.objects.count(), User.objects.count(), Category.objects.count(),
                Tag.objects.count()) == counts
        assert callbacks == [] and purges == []  # nothing changed, nothing to purge

    def test_changed_posts_are_updated_in_place(self, purges, tmp_path, django_capture_on_commit_callbacks):
        export = tmp_path / "export.xml"
        write_export(export, 30, title_prefix="Story")
        run(export)
        slugs = dict(Post.objects.values_list("wordpress_id", "slug"))
        write_export(export, 30, title_prefix="Revised story")
        with django_capture_on_commit_callbacks(execute=True):
            output = run(export)
        assert "30 posts (0 created, 30 updated, 0 unchanged)" in output
        assert Post.objects.count() == 30
        assert Post.objects.get(wordpress_id=7).title == "Revised story 7"
        assert dict(Post.objects.values_list("wordpress_id", "slug")) == slugs
        assert purges == [sorted(Post.objects.values_list("pk", flat=True))]

    def test_a_post_keeps_its_deduplicated_slug(self, purges):
        run(FIXTURES / "wxr-1.2.xml")
        Post.objects.filter(wordpress_id=101).update(title="Edited on the site")
        run(FIXTURES / "wxr-1.2.xml")
        assert Post.objects.get(wordpress_id=101).title == "Boats in the harbour"  # the export wins
        assert Post.objects.get(wordpress_id=102).slug == "boats-in-the-harbour-2"

    def test_a_new_wordpress_slug_is_taken_over(self, purges, tmp_path):
        text = (FIXTURES / "wxr-1.1.xml").read_text()
        export = tmp_path / "export.xml"
        export.write_text(text)
        run(export)
        export.write_text(text.replace("<wp:post_name>night-train<", "<wp:post_name>sleeper-to-vienna<"))
        run(export)
        assert Post.objects.get(wordpress_id=7).slug == "sleeper-to-vienna"

    def test_removed_tags_are_unlinked(self, purges, tmp_path):
        text = (FIXTURES / "wxr-1.1.xml").read_text()
        export = tmp_path / "export.xml"
        export.write_text(text)
        run(export)
        export.write_text(text.replace('<category domain="post_tag" nicename="trains"><![CDATA[Trains]]></category>', ""))
        output = run(export)
        assert "1 updated" in output
        assert not Post.objects.get(wordpress_id=7).tags.exists()


@pytest.mark.django_db
class TestClusters:
    def test_every_post_exactly_once_across_clusters(self, purges, tmp_path, django_capture_on_commit_callbacks):
        export = tmp_path / "export.xml"
        write_export(export, 100)
        seen: list[int] = []
        for index in range(1, 5):
            with django_capture_on_commit_callbacks(execute=True):
                report = import_export(str(export), Cluster(index, 4))
            # 75 posts, and the pages and attachments of the other clusters.
            assert report.created == 25 and report.elsewhere > 75
            seen += report.changed_ids
        assert len(seen) == len(set(seen)) == 100
        assert sorted(Post.objects.values_list("wordpress_id", flat=True)) == list(range(1, 101))
        assert len(purges) == 4  # one purge per cluster, not one per post
        assert sorted(pk for call in purges for pk in call) == sorted(seen)

    def test_clusters_then_whole_import_adds_nothing(self, purges, tmp_path):
        export = tmp_path / "export.xml"
        write_export(export, 40)
        for index in (1, 2, 3):
            run(export, f"--cluster={index}/3")
        before = snapshot()
        output = run(export)
        assert "40 posts (0 created, 0 updated, 40 unchanged)" in output
        assert snapshot() == before

    def test_same_result_as_one_import(self, purges, tmp_path):
        export = tmp_path / "export.xml"
        write_export(export, 40)
        run(export)
        whole = snapshot()
        Post.objects.all().delete()
        for index in (2, 3, 1):
            run(export, f"--cluster={index}/3")
        assert snapshot() == whole

    @pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0"])
    def test_bad_cluster_argument(self, bad):
        with pytest.raises(CommandError, match=r"import_wordpress: --cluster: .* is not a cluster"):
            run(FIXTURES / "wxr-1.1.xml", f"--cluster={bad}")
        assert not Post.objects.exists()


@pytest.mark.django_db
class TestBadFilesImportNothing:
    @pytest.mark.parametrize("name", [
        "truncated.xml", "not-xml.xml", "rss-not-wxr.xml", "wxr-2.0.xml",
        "billion-laughs.xml", "external-entity.xml",
    ])
    def test_refused_and_nothing_written(self, name, purges):
        with pytest.raises(CommandError) as caught:
            run(BAD / name)
        message = str(caught.value)
        assert message.startswith(f"import_wordpress: {BAD / name}: ")
        assert message.endswith("; nothing was imported")
        assert "\n" not in message
        assert not Post.objects.exists() and not User.objects.exists()
        assert not Category.objects.exists() and not Tag.objects.exists()
        assert purges == []

    def test_truncated_cluster_writes_nothing_even_for_complete_items(self, purges):
        # 101 is complete in the truncated file, and it is in cluster 2/2.
        with pytest.raises(CommandError, match="unclosed token"):
            run(BAD / "truncated.xml", "--cluster=2/2")
        assert not Post.objects.exists()


@pytest.mark.django_db
def test_dates_fall_back_to_pubdate_then_keep_existing(purges, tmp_path):
    export = tmp_path / "export.xml"
    export.write_text((FIXTURES / "wxr-1.1.xml").read_text()
                      .replace("<wp:post_date>2011-03-04 21:15:00</wp:post_date>", "")
                      .replace("<wp:post_date_gmt>2011-03-04 20:15:00</wp:post_date_gmt>",
                               "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>"))
    run(export)
    assert Post.objects.get(wordpress_id=7).published_at == datetime(2011, 3, 4, 20, 15, tzinfo=timezone.utc)
    undated = export.read_text().replace("<pubDate>Fri, 04 Mar 2011 20:15:00 +0000</pubDate>", "")
    export.write_text(undated)
    Post.objects.filter(wordpress_id=7).update(published_at=dj_timezone.now().replace(microsecond=0))
    kept = Post.objects.get(wordpress_id=7).published_at
    assert "0 updated" in run(export)  # no date in the export: ours is kept, nothing changes
    assert Post.objects.get(wordpress_id=7).published_at == kept


@pytest.fixture
def held_write_lock(monkeypatch):
    """Hold SQLite's write lock from another connection, as another writer would.

    Our own connection's busy timeout is cut to 0.3 s, so a wait longer than that is the
    import's own patience (LOCK_PATIENCE), not the connection's.
    """
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single write lock")
    connection.close()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    other = sqlite3.connect(connection.settings_dict["NAME"], check_same_thread=False,
                            isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # the strongest lock a writer takes
    other.execute("INSERT INTO blog_tag (name, slug) VALUES ('held', 'held')")

    timers: list[threading.Timer] = []

    def release_after(seconds: float) -> threading.Timer:
        timers.append(threading.Timer(seconds, other.execute, ["COMMIT"]))
        timers[-1].start()
        return timers[-1]

    yield release_after
    for timer in timers:
        timer.cancel()
        timer.join()
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()
    connection.close()  # the next test reconnects with the real timeout


@pytest.mark.django_db(transaction=True)
class TestWaitsForTheWriteLock:
    def test_waits_out_a_lock_held_longer_than_the_connection_timeout(self, purges, held_write_lock):
        timer = held_write_lock(2.0)
        started = time.monotonic()
        report = import_export(str(FIXTURES / "wxr-1.2.xml"))
        timer.join()
        assert report.created == 5 and Post.objects.count() == 5
        assert report.wait_seconds >= 1.5  # five times the connection's timeout
        assert time.monotonic() - started >= 1.5
        assert Tag.objects.filter(slug="held").exists()  # the other writer's commit is kept

    def test_gives_up_after_its_patience_with_nothing_written(self, purges, held_write_lock, monkeypatch):
        monkeypatch.setattr("blog.wordpress.importer.LOCK_PATIENCE", 1.0)
        held_write_lock(30.0)
        with pytest.raises(CommandError, match=r"stayed locked by other writers for 1 s; nothing was imported"):
            run(FIXTURES / "wxr-1.2.xml")
        assert not Post.objects.exists() and not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_exclusive_writer_never_fails_the_imports_reads(purges, held_write_lock):
    """Another writer's big transaction (EXCLUSIVE, as a cache spill makes it) blocks no reader."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()
    held_write_lock(1.5)
    report = import_export(str(FIXTURES / "wxr-1.2.xml"))
    assert report.created == 5 and report.wait_seconds >= 1.0
