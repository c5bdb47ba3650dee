"""blog.wordpress.parser: streaming WXR records, and every kind of bad file refused."""
from __future__ import annotations

import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from blog.wordpress.generate import write_export
from blog.wordpress.parser import Author, ExportError, Item, Term, read_export

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
BAD = FIXTURES / "bad"


def records(path) -> list:
    return list(read_export(path))


class TestWxr12:
    def test_reads_authors_terms_and_items_in_order(self):
        found = records(FIXTURES / "wxr-1.2.xml")
        authors = [r for r in found if isinstance(r, Author)]
        terms = [r for r in found if isinstance(r, Term)]
        items = [r for r in found if isinstance(r, Item)]

        assert [(a.login, a.email, a.first_name, a.last_name) for a in authors] == [
            ("ada", "ada@old.example", "Ada", "Lovelace"),
            ("grace", "grace@old.example", "Grace", "Hopper"),
        ]
        assert [(t.taxonomy, t.nicename, t.name, t.parent) for t in terms] == [
            ("category", "harbour", "Harbour", "city"),
            ("category", "city", "City &amp; Region", ""),
            ("category", "%e6%97%a5%e6%9c%ac", "日本", ""),
            ("category", "uncategorized", "Uncategorized", ""),
            ("post_tag", "boats", "Boats", ""),
            ("post_tag", "winter", "Winter", ""),
        ]
        assert [(i.wp_id, i.post_type) for i in items] == [
            (101, "post"), (102, "post"), (103, "post"), (104, "post"), (105, "post"),
            (201, "attachment"), (301, "page"), (401, "nav_menu_item"), (501, "revision"),
        ]

    def test_item_fields(self):
        first = next(r for r in records(FIXTURES / "wxr-1.2.xml") if isinstance(r, Item))
        assert first.title == "Boats in the harbour"
        assert first.slug == "boats-in-the-harbour"
        assert first.status == "publish"
        assert first.creator == "ada"
        assert first.date_gmt == "2024-01-01 09:00:00"
        assert first.date == "2024-01-01 10:00:00"
        assert first.excerpt == "Dawn at the <b>harbour</b>."
        assert first.content.startswith("The boats came in at dawn.\n\nFishermen")
        assert "<script>" in first.content  # the parser hands it on; the importer removes it
        assert first.terms == [
            ("category", "harbour", "Harbour"),
            ("post_tag", "boats", "Boats"),
            ("post_tag", "winter", "Winter"),
        ]
        assert first.line == 34  # where <item> starts, for error messages

    def test_nav_menu_terms_are_not_post_terms(self):
        menu = [r for r in records(FIXTURES / "wxr-1.2.xml")
                if isinstance(r, Item) and r.post_type == "nav_menu_item"]
        assert menu[0].terms == []


class TestWxr11:
    def test_reads_the_older_namespace(self):
        found = records(FIXTURES / "wxr-1.1.xml")
        assert Counter(type(r).__name__ for r in found) == {"Author": 1, "Term": 2, "Item": 3, "SiteLink": 3}
        post = next(r for r in found if isinstance(r, Item))
        assert (post.wp_id, post.slug, post.status, post.creator) == (7, "night-train", "publish", "admin")
        assert post.content == "Sleeper cars are back."
        pending = [r for r in found if isinstance(r, Item)][1]
        assert pending.excerpt == "What to bring."  # excerpt namespace .../1.1/excerpt/


class TestOtherVersionsAndHttps:
    def test_wxr_10_tags_are_read_once(self):
        (post,) = [r for r in records(FIXTURES / "wxr-1.0.xml") if isinstance(r, Item)]
        # WXR 1.0 writes each term twice, once without a nicename, and tags as domain="tag".
        assert post.terms == [("category", "uncategorized", "Uncategorized"), ("post_tag", "news", "news")]

    def test_https_namespaces_as_wordpress_com_writes_them(self):
        found = records(FIXTURES / "site.xml")
        items = {r.wp_id: r for r in found if isinstance(r, Item)}
        assert Counter(r.post_type for r in items.values()) == {
            "post": 8, "page": 5, "attachment": 5, "nav_menu_item": 1, "revision": 1}
        protected = items[1002]
        assert protected.password == "enter" and protected.sticky
        assert protected.content.strip().startswith("PROTECTED-TEXT")
        assert protected.excerpt == "PROTECTED-EXCERPT"  # excerpt namespace over https
        welcome = items[1001]
        assert welcome.link == "https://old.example/2024/01/07/welcome-aboard/"
        assert welcome.meta == {"_thumbnail_id": "2001"}  # only the keys the import reads
        assert [(c.wp_id, c.parent, c.approved) for c in welcome.comments] == [
            (3001, 0, "1"), (3003, 3002, "1"), (3002, 3001, "1"), (3004, 0, "0"), (3005, 0, "spam")]
        assert welcome.comments[0].email == "reader-one-SECRET@mail.example"
        assert (items[4003].parent, items[4002].menu_order) == (4002, 2)
        boat = items[2001]
        assert boat.attachment_url == "https://old.example/wp-content/uploads/2024/01/boat.jpg"
        assert boat.meta["_wp_attachment_image_alt"] == "A fishing boat at the quay"


class TestNamespaceEdgeCases:
    def test_records_in_another_namespace_are_passed_over(self, tmp_path):
        export = tmp_path / "mixed.xml"
        export.write_text(
            '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/" '
            'xmlns:wp2="http://wordpress.org/export/1.1/"><channel><wp:wxr_version>1.2</wp:wxr_version>'
            '<wp:author xmlns:wp="http://example.com/fake/"><wp:author_login>fake</wp:author_login></wp:author>'
            "<wp:author><wp:author_login>real</wp:author_login></wp:author>"
            "<wp2:author><wp2:author_login>conflict</wp2:author_login></wp2:author>"
            "</channel></rss>")
        assert [r.login for r in records(export) if isinstance(r, Author)] == ["real"]


class TestBadFiles:
    """Each refusal is one line naming the file and where reading stopped."""

    @pytest.mark.parametrize(("name", "where", "reason"), [
        ("truncated.xml", "line 79, column 20", "not a WordPress export: unclosed token"),
        ("not-xml.xml", "line 1, column 1", "not a WordPress export: syntax error"),
        ("rss-not-wxr.xml", "line 13, column 2",
         "not a WordPress export: <item> before any <wp:wxr_version>, so this is no WXR file"),
        ("wxr-2.0.xml", "line 6, column 21",
         "not a WordPress export: the wp namespace is 'http://wordpress.org/export/2.0/'; "
         "WordPress exports use http(s)://wordpress.org/export/1.x/"),
        ("billion-laughs.xml", "line 3, column 16",
         "refused: the file declares the entity 'lol'; entity declarations are not allowed "
         "(entity expansion and external entities)"),
        ("external-entity.xml", "line 3, column 46",
         "refused: the file declares the entity 'secret' pointing at 'file:///etc/passwd'; "
         "entity declarations are not allowed (entity expansion and external entities)"),
    ])
    def test_refused_with_position(self, name, where, reason):
        with pytest.raises(ExportError) as caught:
            records(BAD / name)
        assert str(caught.value) == f"{BAD / name}: {where}: {reason}"
        assert "\n" not in str(caught.value)

    def test_truncated_file_fails_after_yielding_complete_records(self):
        # Why the importer spools and writes only after the whole file was read.
        stream = read_export(BAD / "truncated.xml")
        seen = []
        with pytest.raises(ExportError):
            for record in stream:
                seen.append(record)
        assert [r.wp_id for r in seen if isinstance(r, Item)] == [101]

    def test_billion_laughs_is_refused_before_expanding(self):
        started = time.monotonic()
        with pytest.raises(ExportError, match="entity 'lol'"):
            records(BAD / "billion-laughs.xml")
        assert time.monotonic() - started < 1

    def test_external_entity_content_never_read(self):
        with pytest.raises(ExportError) as caught:
            records(BAD / "external-entity.xml")
        assert "root:" not in str(caught.value)

    def test_missing_file(self, tmp_path):
        with pytest.raises(ExportError) as caught:
            records(tmp_path / "nope.xml")
        assert str(caught.value) == f"{tmp_path / 'nope.xml'}: cannot read the file: No such file or directory"

    def test_empty_file(self, tmp_path):
        empty = tmp_path / "empty.xml"
        empty.write_bytes(b"")
        with pytest.raises(ExportError, match=r"empty.xml: line 1, column 1: not a WordPress export: no element found"):
            records(empty)

    def test_html_page_instead_of_export(self, tmp_path):
        page = tmp_path / "export.xml"
        page.write_text("<html><body><p>Log in</p></body></html>")
        with pytest.raises(ExportError, match="line 1, column 1: not a WordPress export: "
                                              "the document is <html>, a WordPress export is <rss>"):
            records(page)

    def test_feed_without_version_or_items(self, tmp_path):
        feed = tmp_path / "feed.xml"
        feed.write_text('<rss version="2.0"><channel><title>x</title></channel></rss>')
        with pytest.raises(ExportError, match=r"feed.xml: not a WordPress export: no <wp:wxr_version>"):
            records(feed)

    def test_item_without_post_id(self, tmp_path):
        export = tmp_path / "export.xml"
        export.write_text(
            '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
            "<wp:wxr_version>1.2</wp:wxr_version>\n<item><title>x</title></item></channel></rss>"
        )
        with pytest.raises(ExportError, match=r"line 2, column 1: not a WordPress export: <item> has no valid "
                                              r"wp:post_id \(got ''\)"):
            records(export)


class TestStreaming:
    def test_memory_stays_flat_as_the_export_grows(self, tmp_path):
        def peak(posts: int) -> int:
            path = tmp_path / f"{posts}.xml"
            write_export(path, posts, paragraphs=2)
            tracemalloc.start()
            try:
                count = sum(1 for record in read_export(path) if isinstance(record, Item))
                return tracemalloc.get_traced_memory()[1], count
            finally:
                tracemalloc.stop()

        small, small_items = peak(300)
        large, large_items = peak(3000)
        assert large_items > 9 * small_items
        # Ten times the posts, about the same memory: records are dropped once read.
        assert large < small * 1.5 + 64 * 1024
