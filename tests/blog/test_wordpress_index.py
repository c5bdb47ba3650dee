"""blog.wordpress.index: the import's on-disk index, and the flat memory it buys."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from blog.wordpress import index as index_module, writers
from blog.wordpress.formatting import Attachment, Context, render
from blog.wordpress.generate import write_export
from blog.wordpress.importer import import_export
from blog.wordpress.index import ExportIndex
from blog.wordpress.media import rewrite


@pytest.fixture
def index():
    with ExportIndex() as index:
        yield index


def photo(wp_id: int, parent: int = 0, **fields) -> Attachment:
    return Attachment(wp_id=wp_id, url=f"https://old.example/wp-content/uploads/2024/01/p{wp_id}-scaled.jpg",
                      parent=parent, **fields)


class TestViews:
    def test_attachments_and_children_read_like_dicts(self, index):
        for attachment in (photo(3, parent=10, menu_order=2, alt="Boat"), photo(1, parent=10), photo(7)):
            index.add_attachment(attachment)
        index.flush()
        assert index.attachments[3] == photo(3, parent=10, menu_order=2, alt="Boat")
        assert 1 in index.attachments and 2 not in index.attachments and "1" not in index.attachments
        assert list(index.attachments) == [1, 3, 7] and len(index.attachments) == 3
        assert index.children.get(10) == [1, 3]  # by id (galleries sort them themselves)
        assert index.children.get(99, ()) == () and 99 not in index.children
        with pytest.raises(KeyError):
            index.attachments[2]

    def test_a_later_item_with_the_same_id_replaces_the_earlier(self, index):
        index.add_attachment(photo(5, alt="old"))
        index.add_attachment(photo(5, alt="new"))
        index.flush()
        assert index.attachments[5].alt == "new" and len(index.attachments) == 1

    def test_file_keys_and_imported_photos(self, index):
        index.add_attachment(photo(4))
        index.add_attachment(photo(6))
        index.flush()
        # Both spellings WordPress uses (with and without "-scaled") name the photo.
        assert "2024/01/p4-scaled.jpg" in index.known and "2024/01/p4.jpg" in index.known
        assert "2024/01/p5.jpg" not in index.known
        assert dict(index.local) == {} and dict(index.images) == {}
        index.set_photos([(4, 40, "/media/p4.jpg")])
        assert index.local["2024/01/p4.jpg"] == "/media/p4.jpg" and index.images == {4: 40}
        assert "2024/01/p6.jpg" not in index.local
        index.set_photos([(6, 60, "/media/p6.jpg")])  # replaces, as a fresh load does
        assert dict(index.images) == {6: 60}

    def test_rewriting_and_galleries_read_the_index(self, index):
        for wp_id in (4, 6):
            index.add_attachment(photo(wp_id, parent=10, caption=f"Photo {wp_id}"))
        index.flush()
        index.set_photos([(4, 40, "/media/p4.jpg")])
        body = ('<img src="https://old.example/wp-content/uploads/2024/01/p4-300x200.jpg">'
                '<img src="https://old.example/wp-content/uploads/2024/01/p6.jpg">')
        rewritten, waiting = rewrite(body, index.local, index.known)
        assert rewritten.startswith('<img src="/media/p4.jpg">') and waiting == {"2024/01/p6.jpg"}
        gallery = render("[gallery]", Context(post_id=10, attachments=index.attachments, children=index.children))
        assert gallery.count("<figure><img") == 2 and "Photo 6" in gallery

    def test_addresses_wait_in_order(self, index):
        index.add_addresses([("/a/", ""), ("/", "p=3")])
        index.add_addresses([("/b/\nc/", "")])
        assert index.address_count == 3
        assert list(index.addresses()) == [("/a/", ""), ("/", "p=3"), ("/b/\nc/", "")]

    def test_addresses_are_readable_after_close(self):
        """The purge runs on commit, maybe after the import returned (a caller's outer transaction)."""
        index = ExportIndex()
        index.add_addresses([("/old/", "")])
        pending = index.addresses()
        index.close()
        assert list(pending) == [("/old/", "")]


def traced_peak(work) -> int:
    """The peak of memory Python allocated while ``work()`` ran, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_peak_memory_stays_flat_whatever_the_exports_size(tmp_path, media, monkeypatch):
    """Eight times the posts, photos, comments and old addresses: the same peak.

    Batches are made small, so both exports take many; the rest of the cluster's state
    waits on disk. Before the index, the photo index, the fetched photos and the
    addresses to purge were held for the whole cluster: the larger export's peak grew
    with it.
    """
    monkeypatch.setattr(writers, "BATCH", 10)
    monkeypatch.setattr(index_module, "FLUSH_EVERY", 10)

    def export(posts: int, first_id: int) -> tuple[str, str]:
        path, uploads = tmp_path / f"export-{posts}.xml", tmp_path / f"uploads-{posts}"
        write_export(path, posts, attachments_every=1, photos=uploads, comments=3, first_id=first_id,
                     title_prefix=f"Story of {posts}")
        return str(path), str(uploads)

    warm_up, small, large = export(10, 1), export(40, 1_000), export(320, 10_000)
    import_export(warm_up[0], uploads=warm_up[1], purge_cache=False)  # modules load and caches fill here
    peaks = {}
    for name, (path, uploads) in {"small": small, "large": large}.items():
        report = {}
        peaks[name] = traced_peak(lambda: report.setdefault(
            "it", import_export(path, uploads=uploads, purge_cache=False)))
        assert not report["it"].failures
    assert report["it"].tallies["posts"].created == 320 and report["it"].tallies["attachments"].created == 320
    # Held for the whole cluster, the peak grows with the export: 8 times the posts gave
    # 5.7 times the peak before the index. Flat, it stays within what one batch and the
    # interpreter's own caches (warmer or colder, depending on the tests run before) add.
    assert peaks["large"] < peaks["small"] * 2.5, peaks


@pytest.mark.django_db
def test_the_purge_after_the_commit_reads_every_address_recorded(tmp_path, media, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    """The addresses wait on disk for the purge, which may run after the import returned."""
    from blog import invalidation
    from blog.models import OldUrl

    purged: list = []
    monkeypatch.setattr(invalidation, "purge_posts", lambda ids: None)
    monkeypatch.setattr(writers, "purge_pages", lambda pages, addresses=(): purged.append(list(addresses)))
    export = tmp_path / "export.xml"
    write_export(export, 5, attachments_every=1, photos=tmp_path / "uploads", comments=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = import_export(str(export), uploads=str(tmp_path / "uploads"))
    assert len(purged) == 1 and report.redirects > 0
    assert sorted(purged[0]) == sorted(OldUrl.objects.values_list("path", "query"))
