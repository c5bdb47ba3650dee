"""An export's attachments: find each file, fetch it, and point bodies at the local photo.

A file comes from ``--uploads DIR`` (a copy of the old site's ``wp-content/uploads``),
else it is downloaded from its ``wp:attachment_url``: a few at a time, each with a
connect/read timeout and a size limit (``UPLOAD_MAX_MB``), only when the server says it
is an image, and into a download folder first, so a run stopped half-way fetches only
what is still missing when started again. ``blog.images`` then checks and stores it like
an editor's upload (decoded, location data removed, sizes made).

Bodies keep pointing at the old site until ``rewrite`` swaps every ``<img src>`` and
``<a href>`` naming an imported file, or one of WordPress's resized copies of it
(``boat-300x200.jpg``), for the local photo, which the site renders with its own
responsive sizes (``blog.photos.place_photos``).
"""
from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "png", "gif", "webp"})
DOWNLOADS_AT_ONCE = 4
CONNECT_TIMEOUT = 10.0  # seconds to connect, then between two reads
USER_AGENT = "magazine-wordpress-import/1"
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")
_SCALED_SUFFIX = re.compile(r"-(?:scaled|rotated|e\d{10,})(?=\.[A-Za-z0-9]+$)")
_URL_ATTRIBUTE = re.compile(r'(<(?:img|a)\b[^>]*?\s(?:src|href)=")([^"]+)(")', re.I)


def is_image_url(url: str) -> bool:
    """Whether an attachment is a photo, by its file name (what WordPress's gallery uses)."""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[1].lower() in IMAGE_EXTENSIONS


def file_key(url: str) -> str:
    """The path that names an upload whatever host served it and whichever size it is.

    ``https://old.example/wp-content/uploads/2024/01/boat-300x200.jpg`` and
    ``http://cdn.example/wp-content/uploads/2024/01/boat.jpg`` are the same photo.
    """
    path = unquote(urlsplit(html.unescape(url.strip())).path)
    if "/uploads/" in path:
        path = path.rsplit("/uploads/", 1)[1]
    elif re.match(r"^/\d{4}/\d{2}/", path):  # WordPress.com's files.wordpress.com/2008/06/...
        path = path[1:]
    return _SIZE_SUFFIX.sub("", path).lower()


def key_variants(url: str) -> list[str]:
    """The keys an attachment answers to: its own, and WordPress 5.3's un-"-scaled" one."""
    key = file_key(url)
    plain = _SCALED_SUFFIX.sub("", key)
    return [key] if plain == key else [key, plain]


def rewrite(body: str, local: Mapping[str, str], known: Iterable[str] = ()) -> tuple[str, set[str]]:
    """Point every ``src``/``href`` naming an imported file at its local URL.

    ``local`` maps ``file_key`` -> local URL for the photos imported so far; ``known``
    holds the keys of every attachment of the export. Return the new body and the keys
    of known attachments it still points at (not imported yet, or failed).
    """
    known = known if isinstance(known, (AbstractSet, Mapping)) else set(known)  # a set, dict or index view
    waiting: set[str] = set()

    def swap(match: re.Match) -> str:
        url = html.unescape(match.group(2))
        if not re.match(r"(?i)https?://|//", url):
            return match.group(0)
        key = file_key(url)
        target = local.get(key)
        if target is None:
            if key in known:
                waiting.add(key)
            return match.group(0)
        return match.group(1) + html.escape(target) + match.group(3)

    if "<" not in body:
        return body, waiting
    return _URL_ATTRIBUTE.sub(swap, body), waiting


# -- fetching ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Wanted:
    wp_id: int
    url: str
    attached_file: str  # _wp_attached_file: the path under uploads/, when the export has it


@dataclass
class Fetched:
    wp_id: int
    data: bytes | None = None
    error: str = ""  # why there is no data
    source: str = ""  # "uploads", "download" or "downloaded before"


class Fetcher:
    """Bring attachments' bytes from an uploads folder or over HTTP(S), resumably."""

    def __init__(self, uploads: str | os.PathLike | None, downloads: str | os.PathLike,
                 max_bytes: int, timeout: float = CONNECT_TIMEOUT, at_once: int = DOWNLOADS_AT_ONCE) -> None:
        self.uploads = Path(uploads) if uploads else None
        self.downloads = Path(downloads)
        self.max_bytes, self.timeout, self.at_once = max_bytes, timeout, at_once

    def fetch_all(self, wanted: list[Wanted], done: Callable[[Fetched], None]) -> None:
        """Fetch every file, ``at_once`` at a time; ``done`` is called for each, in this thread."""
        if not wanted:
            return
        # At most twice ``at_once`` files in flight: fetched bytes wait for ``done`` (which
        # makes the photo's sizes, slower than a copy) in memory, so they must stay few.
        pending: deque = deque()
        with ThreadPoolExecutor(max_workers=self.at_once, thread_name_prefix="wp-fetch") as pool:
            for item in wanted:
                if len(pending) >= 2 * self.at_once:
                    done(pending.popleft().result())
                pending.append(pool.submit(self.fetch, item))
            while pending:
                done(pending.popleft().result())

    def fetch(self, item: Wanted) -> Fetched:
        try:
            local = self._from_uploads(item)
            if local is not None:
                return Fetched(item.wp_id, local, source="uploads")
            return self._download(item)
        except OSError as error:
            return Fetched(item.wp_id, error=f"cannot read it: {error.strerror or error}")

    def _from_uploads(self, item: Wanted) -> bytes | None:
        if self.uploads is None:
            return None
        candidates = [item.attached_file] if item.attached_file else []
        path = unquote(urlsplit(item.url).path)
        if "/uploads/" in path:
            candidates.append(path.rsplit("/uploads/", 1)[1])
        root = self.uploads.resolve()
        for relative in candidates:
            candidate = (root / relative.lstrip("/")).resolve()
            if root not in candidate.parents or not candidate.is_file():
                continue  # "../" in an export never reads outside the folder
            if candidate.stat().st_size > self.max_bytes:
                raise _TooLarge(candidate.stat().st_size)
            return candidate.read_bytes()
        return None

    def _download(self, item: Wanted) -> Fetched:
        scheme = urlsplit(item.url).scheme.lower()
        if scheme not in ("http", "https"):
            where = " and it is not in --uploads" if self.uploads else ""
            return Fetched(item.wp_id, error=f"no http(s) URL to download it from{where}")
        target = self.downloads / hashlib.sha256(item.url.encode()).hexdigest()[:32]
        if target.is_file():
            return Fetched(item.wp_id, target.read_bytes(), source="downloaded before")
        request = urllib.request.Request(item.url, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                kind = response.headers.get_content_type()
                if not kind.startswith("image/"):
                    return Fetched(item.wp_id, error=f"the server sent {kind}, not an image")
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise _TooLarge(int(length))
                data = response.read(self.max_bytes + 1)
                if len(data) > self.max_bytes:
                    raise _TooLarge(len(data))
        except urllib.error.HTTPError as error:
            return Fetched(item.wp_id, error=f"HTTP {error.code} from {item.url}")
        except urllib.error.URLError as error:
            return Fetched(item.wp_id, error=f"cannot download {item.url}: {error.reason}")
        except TimeoutError:
            return Fetched(item.wp_id, error=f"timed out after {self.timeout:.0f} s downloading {item.url}")
        except _TooLarge as error:
            return Fetched(item.wp_id, error=str(error))
        # Kept until the import commits: a run stopped before that downloads nothing again.
        self.downloads.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, target)
        return Fetched(item.wp_id, data, source="download")

    def forget(self, urls: Iterable[str]) -> None:
        """Delete the downloads of these URLs (their photos are committed now)."""
        for url in urls:
            (self.downloads / hashlib.sha256(url.encode()).hexdigest()[:32]).unlink(missing_ok=True)

    def clear(self) -> None:
        if self.downloads.is_dir() and not any(self.downloads.iterdir()):
            shutil.rmtree(self.downloads, ignore_errors=True)


class _TooLarge(OSError):
    def __init__(self, size: int) -> None:
        super().__init__(f"it is {size / 1024 / 1024:.1f} MB, over the upload limit")
        self.strerror = str(self)


def as_upload(data: bytes, name: str) -> io.BytesIO:
    """The fetched bytes as a file object ``blog.images.store`` reads like an upload."""
    upload = io.BytesIO(data)
    upload.name = name
    upload.size = len(data)
    return upload
