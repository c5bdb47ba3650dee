"""A real-shaped export (tests/blog/fixtures/wordpress/site.xml) imported, then read as a reader.

The fixture marks everything a reader must never see with a word in capitals
(PROTECTED-TEXT, PRIVATE-TITLE...): no public URL may answer with one of them.
"""
from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from blog.models import Category, Comment, Image, Page, Post, Tag
from blog.wordpress import redirects
from tests.blog.wordpress_server import old_site, write_uploads

SITE = Path(__file__).parent / "fixtures" / "wordpress" / "site.xml"
User = get_user_model()
HIDDEN_WORDS = re.compile(r"(PROTECTED|PRIVATE|DRAFT|PENDING|FUTURE|TRASH|SPAM|REVISION)-[A-Z]+")


def import_site(*args: str, path: Path = SITE) -> str:
    out = StringIO()
    call_command("import_wordpress", str(path), "--no-purge", *args, stdout=out)
    return out.getvalue()


def public_urls() -> list[str]:
    """Every reader-facing URL the imported site has, plus the ones hidden items would use."""
    urls = ["/", "/feed/", "/sitemap.xml", "/api/v1/post/", "/api/v1/tag/", "/api/v1/category/",
            "/archive/2024/1/", "/author/ada/", "/author/grace/"]
    urls += [category.get_absolute_url() for category in Category.objects.all()]
    urls += [tag.get_absolute_url() for tag in Tag.objects.all()]
    urls += [post.get_absolute_url() for post in Post.objects.all()]
    urls += [f"/api/v1/post/{post.pk}/" for post in Post.objects.all()]
    urls += [page.get_absolute_url() for page in Page.objects.all()]
    urls += [f"/search/?q={word}" for word in ("PROTECTED", "PRIVATE", "DRAFT", "TRASH", "text", "Secrets")]
    return urls


@pytest.mark.django_db
class TestNothingHiddenReachesAReader:
    def test_protected_post_is_kept_for_editors_and_flagged(self):
        import_site()
        post = Post.objects.get(wordpress_id=1002)
        assert post.status == Post.Status.DRAFT and post.wordpress_protected
        assert post.wordpress_status == "publish"
        assert "Password-protected" in post.hidden_because
        assert "PROTECTED-TEXT" in post.body  # nothing lost: editors still have it
        assert not post.is_public
        # Even published by an editor, it stays hidden while the flag is ticked.
        Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
        assert not Post.objects.public().filter(pk=post.pk).exists()

    @pytest.mark.parametrize("wp_id, wordpress_status", [
        (1003, "private"), (1004, "draft"), (1005, "pending"), (1007, "trash"),
    ])
    def test_unpublished_statuses_become_drafts(self, wp_id, wordpress_status):
        import_site()
        post = Post.objects.get(wordpress_id=wp_id)
        assert (post.status, post.wordpress_status) == (Post.Status.DRAFT, wordpress_status)
        assert wordpress_status in post.hidden_because

    def test_scheduled_post_waits_for_its_date(self):
        import_site()
        post = Post.objects.get(wordpress_id=1006)
        assert post.status == Post.Status.PUBLISHED and not post.is_public

    def test_no_public_url_shows_a_hidden_word(self):
        import_site()
        # Published even by mistake, a protected post stays out of every page.
        Post.objects.filter(wordpress_id=1002).update(status=Post.Status.PUBLISHED)
        client = Client()
        seen = 0
        for url in public_urls():
            response = client.get(url)
            assert response.status_code in (200, 404), url
            text = response.content.decode()
            assert not HIDDEN_WORDS.search(text), (url, HIDDEN_WORDS.search(text).group())
            assert "@mail.example" not in text, url  # commenters' e-mail addresses
            seen += response.status_code == 200
        assert seen > 10  # the public part of the site is there
        welcome = client.get(Post.objects.get(wordpress_id=1001).get_absolute_url())
        assert welcome.status_code == 200
        assert "Lovely boats." in welcome.content.decode()  # approved comments are shown...
        assert "Reader One" in welcome.content.decode()  # ...with their author, never the e-mail
        assert client.get(Post.objects.get(wordpress_id=1002).get_absolute_url()).status_code == 404
        assert client.get("/tag/hidden-tag/").content.decode().count("<article") == 0


@pytest.fixture
def old_uploads(tmp_path):
    return write_uploads(tmp_path / "uploads")


@pytest.fixture
def fresh_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VAR_DIR = tmp_path / "var"


@pytest.mark.django_db
class TestEverythingComesAcross:
    def test_pages_keep_their_hierarchy_as_paths(self, fresh_media):
        import_site()
        pages = {page.wordpress_id: page for page in Page.objects.all()}
        assert [pages[i].slug for i in (4001, 4002, 4003)] == ["about", "team", "alumni"]
        assert pages[4003].wordpress_parent_id == 4002 and pages[4003].parent == pages[4002]
        assert [pages[i].get_absolute_url() for i in (4001, 4002, 4003)] == [
            "/about/", "/about/team/", "/about/team/alumni/"]
        assert Client().get("/about/team/alumni/").status_code == 200
        assert all(pages[i].status == Page.Status.PUBLISHED for i in (4001, 4002, 4003))
        assert "<p>About the magazine.</p>" in pages[4001].body
        assert (pages[4004].status, pages[4004].wordpress_status) == (Page.Status.DRAFT, "protected")
        assert (pages[4005].status, pages[4005].wordpress_status) == (Page.Status.DRAFT, "private")

    @pytest.mark.parametrize("order", [(3, 2, 1), (1, 2, 3), (2, 3, 1)])
    def test_pages_nest_whichever_cluster_brings_the_parent(self, fresh_media, order):
        from blog.models import OldUrl

        for index in order:
            import_site(f"--cluster={index}/3")
        pages = {page.wordpress_id: page for page in Page.objects.all()}
        assert [pages[i].path for i in (4001, 4002, 4003)] == ["about", "about/team", "about/team/alumni"]
        # A child imported before its parent stood at the top level meanwhile: no 301 left there.
        assert not OldUrl.objects.filter(path__in=["/team/", "/alumni/", "/team/alumni/"]).exists()
        client = Client()
        assert client.get("/about/team/alumni/").status_code == 200
        assert client.get("/?page_id=4003")["Location"] == "/about/team/alumni/"

    def test_comments_with_replies_and_moderation(self, fresh_media):
        import_site()
        comments = {c.wordpress_id: c for c in Comment.objects.select_related("parent", "post")}
        assert comments[3002].parent == comments[3001]
        assert comments[3003].parent == comments[3002]  # listed before its parent in the file
        assert [comments[i].status for i in (3001, 3004, 3005)] == ["approved", "pending", "spam"]
        assert comments[3001].post.wordpress_id == 1001
        assert "<script" not in comments[3001].body_html and "Lovely boats." in comments[3001].body_html
        assert comments[3001].ip == "192.0.2.1" and comments[3001].author_url == "https://reader.example/"
        assert comments[3101].post.wordpress_id == 1002  # kept, on the hidden post

    def test_every_category_and_the_first_as_primary(self, fresh_media):
        import_site()
        post = Post.objects.get(wordpress_id=1001)
        assert post.category.slug == "harbour"
        assert list(post.extra_categories.values_list("slug", flat=True)) == ["reviews"]

    def test_byline_is_the_wordpress_display_name(self, fresh_media):
        import_site()
        assert User.objects.get(username="ada").get_full_name() == "The Countess"
        assert User.objects.get(username="grace").get_full_name() == "Grace Hopper"

    def test_sticky_and_the_more_teaser(self, fresh_media):
        import_site()
        welcome = Post.objects.get(wordpress_id=1001)
        assert welcome.sticky and not Post.objects.get(wordpress_id=1008).sticky
        assert welcome.excerpt == "The boats came in at dawn. Gulls followed them. The catch Fishermen unloaded the catch."
        gallery = Post.objects.get(wordpress_id=1008)
        assert gallery.excerpt == "The quay in pictures."  # its own excerpt, shortcode stripped

    def test_faithful_body(self, fresh_media):
        import_site()
        body = Post.objects.get(wordpress_id=1001).body
        assert "<h1>The catch</h1>\n<p>Fishermen unloaded the catch.</p>" in body
        assert '<pre>def catch():\n\n    return "fish"\n</pre>' in body
        assert "<blockquote><p>Sea fog.</p>\n<p>Then rain.</p></blockquote>" in body
        assert "<figcaption>The first boat home</figcaption>" in body
        assert "wp:paragraph" not in body and "[caption" not in body
        other = Post.objects.get(wordpress_id=1008).body
        assert "[" not in other.replace("[gallery]", "")  # no shortcode shown raw; the escaped one is text
        assert '<a href="https://vimeo.com/76979871"' in other

    def test_photos_from_an_uploads_folder(self, fresh_media, old_uploads):
        output = import_site("--uploads", str(old_uploads))
        photos = {image.wordpress_id: image for image in Image.objects.all()}
        assert sorted(photos) == [2001, 2002, 2003]
        assert photos[2001].alt_text == "A fishing boat at the quay"
        assert photos[2001].caption == "The first boat home" and photos[2001].renditions
        assert "failed attachment 2005 'lost photo'" in output  # not in the folder, old site gone
        assert "1 attachment (not a photo" in output
        self._bodies_point_at_local_photos(photos)

    def test_photos_downloaded_from_the_old_site(self, fresh_media, old_uploads, tmp_path):
        site = tmp_path / "site"
        (site / "wp-content").mkdir(parents=True)
        old_uploads.rename(site / "wp-content" / "uploads")
        with old_site(site) as (base, requests):
            export = tmp_path / "export.xml"
            export.write_text(SITE.read_text().replace("https://old.example/wp-content/", f"{base}/wp-content/"))
            report_file = tmp_path / "report.json"
            import_site("--report", str(report_file), path=export)
            fetched = sorted(requests)
            photos = {image.wordpress_id: image for image in Image.objects.all()}
            assert sorted(photos) == [2001, 2002, 2003]
            self._bodies_point_at_local_photos(photos, old=base)
            report = json.loads(report_file.read_text())
            assert report["imported"]["attachments"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1}
            assert report["failed"][0]["wp_id"] == 2005 and "HTTP 404" in report["failed"][0]["reason"]
            # Again: nothing downloaded twice (only the missing photo is asked for), nothing changed.
            output = import_site("--report", str(report_file), path=export)
            assert sorted(requests) == sorted(fetched + ["/wp-content/uploads/2023/05/lost.jpg"])
            assert "8 posts (0 created, 0 updated, 8 unchanged)" in output
            assert json.loads(report_file.read_text())["imported"]["attachments"]["unchanged"] == 3
        assert not (tmp_path / "var" / "wordpress-downloads").exists()  # nothing left behind

    @staticmethod
    def _bodies_point_at_local_photos(photos, old="https://old.example"):
        welcome = Post.objects.get(wordpress_id=1001)
        assert welcome.cover == photos[2001]
        assert photos[2001].file.url in welcome.body
        assert f"{old}/wp-content/uploads/2024/01/boat" not in welcome.body
        gallery = Post.objects.get(wordpress_id=1008)
        assert gallery.cover == photos[2002]
        assert gallery.body.count(photos[2002].file.url) == 2  # in the gallery and inline
        assert photos[2003].file.url in gallery.body
        assert f'src="{old}/wp-content/uploads/' not in gallery.body
        assert f"{old}/wp-content/uploads/2024/01/gulls.mp3" in gallery.body  # audio is not a photo: linked
        assert gallery.wordpress_media_pending is False
        assert f"{old}/wp-content/uploads/2023/05/lost.jpg" not in welcome.body

    def test_dry_run_writes_nothing_and_reports(self, fresh_media, old_uploads, tmp_path):
        report_file = tmp_path / "report.json"
        output = import_site("--dry-run", "--uploads", str(old_uploads), "--report", str(report_file))
        assert output.startswith("DRY RUN, nothing written: ")
        assert not Post.objects.exists() and not Page.objects.exists() and not Image.objects.exists()
        assert not Comment.objects.exists() and not User.objects.exists()
        report = json.loads(report_file.read_text())
        assert report["dry_run"] is True
        assert report["imported"]["posts"]["created"] == 8 and report["imported"]["pages"]["created"] == 5
        assert report["imported"]["comments"]["created"] == 6
        assert {"kind": "revisions", "reason": "an older revision of a post", "count": 1} in report["skipped"]

    def test_second_import_changes_nothing(self, fresh_media, old_uploads):
        import_site("--uploads", str(old_uploads))
        output = import_site("--uploads", str(old_uploads))
        assert "8 posts (0 created, 0 updated, 8 unchanged)" in output
        assert "5 pages (0 created, 0 updated, 5 unchanged)" in output
        assert "6 comments (0 created, 0 updated, 6 unchanged)" in output
        assert "3 attachments (0 created, 0 updated, 3 unchanged, 1 failed)" in output


@pytest.mark.django_db
class TestListings:
    def test_post_is_listed_under_every_category_and_breadcrumbs_show_the_first(self, fresh_media):
        import_site()
        client = Client()
        for slug in ("harbour", "reviews", "city"):  # city: harbour's parent
            assert "Welcome aboard" in client.get(f"/category/{slug}/").content.decode(), slug
        page = client.get(Post.objects.get(wordpress_id=1001).get_absolute_url()).content.decode()
        trail = page[page.index("breadcrumb"):][:600] if "breadcrumb" in page else page
        assert "/category/harbour/" in trail and "/category/reviews/" not in trail

    def test_imported_posts_are_found_by_search_with_their_tags(self, fresh_media):
        import_site()  # --no-purge: the import brings the search index up to date itself
        found = Client().get("/search/?q=boats").content.decode()
        assert "Welcome aboard" in found and "Gallery of the harbour" in found
        assert "Template: Password Protected" not in found

    def test_sticky_post_leads_the_home_page(self, fresh_media):
        import_site()
        home = Client().get("/").content.decode()
        # 1008 is newer, but 1001 is sticky: it comes first.
        assert home.index("Welcome aboard") < home.index("Gallery of the harbour")


OLD_ADDRESSES = [
    ("/2024/01/07/welcome-aboard/", "/posts/welcome-aboard/"),
    ("/2024/01/07/welcome-aboard/feed/", "/posts/welcome-aboard/"),
    ("/?p=1001", "/posts/welcome-aboard/"),
    ("/2024/01/08/gallery-of-the-harbour/", "/posts/gallery-of-the-harbour/"),
    ("/about/", "/about/"),  # the same address: the page itself answers
    ("/about/team/alumni/", "/about/team/alumni/"),  # nested as in WordPress: the page itself
    ("/?page_id=4002", "/about/team/"),
    ("/?page_id=4003", "/about/team/alumni/"),
    ("/?p=4001", "/about/"),
    ("/category/city/harbour/", "/category/harbour/"),
    ("/category/harbour/feed/", "/category/harbour/"),
    ("/?cat=4", "/category/reviews/"),
    ("/tag/boats/feed/", "/tag/boats/"),
    ("/?tag=boats", "/tag/boats/"),
    ("/author/ada/feed/", "/author/ada/"),
    ("/?author=2", "/author/grace/"),
    ("/2024/01/", "/archive/2024/1/"),
    ("/2024/01/08/", "/archive/2024/1/"),
    ("/2024/", "/archive/2024/1/"),
    ("/feed/atom/", "/feed/"),
    ("/comments/feed/", "/feed/"),
    ("/?feed=rss2", "/feed/"),
]
# Old addresses of what readers must not see: still 404, never a 301 that confirms them.
HIDDEN_ADDRESSES = ["/2024/01/04/template-password-protected/", "/?p=1002", "/2024/01/05/private-notes/",
                    "/2024/01/03/thrown-away/", "/members/", "/?page_id=4004", "/?page_id=4005"]


@pytest.mark.django_db
class TestOldAddresses:
    def test_every_old_address_is_a_301_to_its_new_page(self, fresh_media, old_uploads):
        import_site("--uploads", str(old_uploads))
        client = Client()
        for old, new in OLD_ADDRESSES:
            response = client.get(old)
            if old == new:
                assert response.status_code == 200, old
                continue
            assert (response.status_code, response.get("Location")) == (301, new), old
        for old in HIDDEN_ADDRESSES:
            assert client.get(old).status_code == 404, old

    def test_attachment_addresses_lead_to_the_photo(self, fresh_media, old_uploads):
        import_site("--uploads", str(old_uploads))
        boat = Image.objects.get(wordpress_id=2001)
        client = Client()
        for old in ("/2024/01/07/welcome-aboard/boat/", "/?attachment_id=2001", "/?p=2001"):
            response = client.get(old)
            assert (response.status_code, response.get("Location")) == (301, boat.file.url), old

    def test_reimport_keeps_them_and_adds_none(self, fresh_media, old_uploads):
        from blog.models import OldUrl

        first = import_site("--uploads", str(old_uploads))
        count = OldUrl.objects.count()
        assert f"{count} old addresses" in first
        again = import_site("--uploads", str(old_uploads))
        assert "0 old addresses" in again and OldUrl.objects.count() == count
        assert Client().get("/2024/01/07/welcome-aboard/").status_code == 301


@pytest.mark.django_db
def test_a_run_stopped_after_its_downloads_fetches_nothing_again(fresh_media, old_uploads, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "wp-content").mkdir(parents=True)
    old_uploads.rename(site / "wp-content" / "uploads")
    with old_site(site) as (base, requests):
        export = tmp_path / "export.xml"
        export.write_text(SITE.read_text().replace("https://old.example/wp-content/", f"{base}/wp-content/"))

        def killed(*args, **kwargs):
            raise KeyboardInterrupt  # as if the process were stopped in its write phase

        with monkeypatch.context() as patched:
            patched.setattr("blog.wordpress.writers.write_pages", killed)
            with pytest.raises(KeyboardInterrupt):
                import_site(path=export)
        assert not Post.objects.exists() and not Image.objects.exists()  # rolled back
        downloaded = sorted(path for path in requests if "lost" not in path)
        assert len(downloaded) == 3
        import_site(path=export)
        assert sorted(path for path in requests if "lost" not in path) == downloaded  # none again
        assert Image.objects.count() == 3
    assert not (tmp_path / "var" / "wordpress-downloads").exists()
