"""blog.wordpress.media: which URL is which upload, body rewriting, fetching from a real server."""
from __future__ import annotations

import pytest

from blog.wordpress.media import Fetcher, Wanted, file_key, is_image_url, key_variants, rewrite
from tests.blog.wordpress_server import old_site, write_uploads


class TestKeys:
    def test_sizes_and_hosts_name_the_same_upload(self):
        key = file_key("https://old.example/wp-content/uploads/2024/01/Boat.jpg")
        assert key == "2024/01/boat.jpg"
        assert file_key("http://cdn.example/wp-content/uploads/2024/01/boat-300x200.jpg") == key
        assert file_key("https://example.files.wordpress.com/2024/01/boat.jpg?w=640") == key
        assert key_variants("https://x/wp-content/uploads/2024/01/big-scaled.jpg") == [
            "2024/01/big-scaled.jpg", "2024/01/big.jpg"]

    def test_photos_by_extension(self):
        assert is_image_url("https://x/wp-content/uploads/a.JPEG") and is_image_url("https://x/b.webp")
        assert not is_image_url("https://x/wp-content/uploads/prices.pdf")

    def test_rewrite_points_images_and_links_at_local_photos(self):
        body = ('<p><a href="https://old.example/wp-content/uploads/2024/01/boat.jpg">'
                '<img src="https://old.example/wp-content/uploads/2024/01/boat-1024x683.jpg" alt="A"></a>'
                '<img src="https://old.example/wp-content/uploads/2023/05/lost.jpg">'
                '<img src="https://elsewhere.example/pic.jpg"><a href="/relative.jpg">x</a></p>')
        local = {"2024/01/boat.jpg": "/media/images/abc.jpg"}
        new, waiting = rewrite(body, local, known={"2024/01/boat.jpg", "2023/05/lost.jpg"})
        assert new.count("/media/images/abc.jpg") == 2
        assert "boat-1024x683" not in new
        assert waiting == {"2023/05/lost.jpg"}  # known, not imported yet
        assert "https://elsewhere.example/pic.jpg" in new and 'href="/relative.jpg"' in new


class TestFetcher:
    def test_downloads_from_the_old_site_resumably(self, tmp_path):
        write_uploads(tmp_path / "site" / "wp-content" / "uploads")
        downloads = tmp_path / "downloads"
        with old_site(tmp_path / "site") as (base, requests):
            fetcher = Fetcher(None, downloads, max_bytes=10_000_000)
            url = f"{base}/wp-content/uploads/2024/01/boat.jpg"
            first = fetcher.fetch(Wanted(1, url, ""))
            assert first.error == "" and first.data.startswith(b"\xff\xd8") and first.source == "download"
            again = fetcher.fetch(Wanted(1, url, ""))
            assert again.data == first.data and again.source == "downloaded before"
            assert requests == ["/wp-content/uploads/2024/01/boat.jpg"]  # fetched once
            fetcher.forget([url])
            assert not any(downloads.iterdir())

    @pytest.mark.parametrize(("path", "error"), [
        ("/wp-content/uploads/2023/05/lost.jpg", "HTTP 404 from"),
        ("/wp-content/uploads/2024/01/prices.pdf", "the server sent application/pdf, not an image"),
    ])
    def test_what_cannot_be_had_says_why(self, tmp_path, path, error):
        write_uploads(tmp_path / "site" / "wp-content" / "uploads")
        with old_site(tmp_path / "site") as (base, _):
            fetched = Fetcher(None, tmp_path / "d", max_bytes=10_000_000).fetch(Wanted(1, base + path, ""))
        assert fetched.data is None and error in fetched.error

    def test_size_limit(self, tmp_path):
        write_uploads(tmp_path / "site" / "wp-content" / "uploads")
        with old_site(tmp_path / "site") as (base, _):
            fetched = Fetcher(None, tmp_path / "d", max_bytes=1000).fetch(
                Wanted(1, f"{base}/wp-content/uploads/2024/01/boat.jpg", ""))
        assert fetched.data is None and "over the upload limit" in fetched.error

    def test_timeout(self, tmp_path):
        import socket

        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        try:
            fetched = Fetcher(None, tmp_path / "d", max_bytes=1000, timeout=0.5).fetch(
                Wanted(1, f"http://127.0.0.1:{silent.getsockname()[1]}/a.jpg", ""))
        finally:
            silent.close()
        assert fetched.data is None and "timed out" in fetched.error

    def test_uploads_folder_first_and_never_outside_it(self, tmp_path):
        uploads = write_uploads(tmp_path / "uploads")
        (tmp_path / "secret.jpg").write_bytes(b"secret")
        fetcher = Fetcher(uploads, tmp_path / "d", max_bytes=10_000_000)
        found = fetcher.fetch(Wanted(1, "https://gone.example/wp-content/uploads/2024/01/quay.png", ""))
        assert found.source == "uploads" and found.data.startswith(b"\x89PNG")
        by_meta = fetcher.fetch(Wanted(2, "ftp://gone/x", "2024/01/nets.jpg"))
        assert by_meta.source == "uploads"
        escape = fetcher.fetch(Wanted(3, "ftp://gone/x", "../secret.jpg"))
        assert escape.data is None and "no http(s) URL" in escape.error


def test_fetch_all_keeps_few_files_in_memory_and_their_order(tmp_path):
    from blog.wordpress.media import Fetched

    class Counting(Fetcher):
        def __init__(self) -> None:
            super().__init__(None, tmp_path, max_bytes=100, at_once=3)
            self.waiting, self.most = 0, 0

        def fetch(self, item):
            self.waiting += 1  # fetched, not yet handed to ``done``
            self.most = max(self.most, self.waiting)
            return Fetched(item.wp_id, b"x")

    fetcher, seen = Counting(), []

    def done(fetched) -> None:
        fetcher.waiting -= 1
        seen.append(fetched.wp_id)

    fetcher.fetch_all([Wanted(n, f"http://x/{n}.jpg", "") for n in range(100)], done)
    assert seen == list(range(100))
    assert fetcher.most <= 2 * 3 + 3  # in flight: the queue plus one per thread at most
