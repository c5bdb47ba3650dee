"""What an import keeps about the whole export while it runs, on disk, not in memory.

Galleries, captions, covers and image links need every photo attachment of the export,
whatever cluster imports it, and the purge after the commit needs every old address the
cluster recorded. Held as Python objects both grow with the export (about 2 KB per photo
and per item: a worker peaked at 209 MB on a 30,000-post export). Here the photos live in
a private temporary SQLite database (``sqlite3.connect("")``: on disk past a small page
cache, deleted when closed) and the addresses in a temporary file, so a worker's memory
stays the same whatever the export's size (bench/IMPORT.md: 79-85 MB from 3,000 to
30,000 posts).

Lookups go through read-only ``Mapping``/``Set`` views, so the code that reads the index
(``formatting``'s galleries, ``media.rewrite``) works the same with a plain dict in tests.
"""
from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Set

from blog.wordpress import media
from blog.wordpress.formatting import Attachment

FLUSH_EVERY = 500  # rows buffered before one executemany
PAGE_CACHE_KB = 4096  # SQLite's page cache for the index: the rest stays on disk
_SCHEMA = """
CREATE TABLE attachment (wp_id INTEGER PRIMARY KEY, url TEXT NOT NULL, parent INTEGER NOT NULL,
                         menu_order INTEGER NOT NULL, alt TEXT NOT NULL, caption TEXT NOT NULL);
CREATE INDEX attachment_parent ON attachment (parent);
CREATE TABLE file_key (key TEXT NOT NULL, wp_id INTEGER NOT NULL);
CREATE INDEX file_key_key ON file_key (key);
CREATE TABLE photo (wp_id INTEGER PRIMARY KEY, pk INTEGER NOT NULL, url TEXT NOT NULL);
"""


class ExportIndex:
    """The export's photo attachments, the ones imported so far, and the addresses to purge."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)  # autocommit: no journal to speak of
        self.db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.executescript(_SCHEMA)
        # The addresses are a file of their own: the purge reading them may run after
        # ``close()`` (``on_commit`` inside a caller's outer transaction).
        self._addresses = tempfile.TemporaryFile(prefix="wordpress-addresses-")
        self.address_count = 0
        self._handed_out = False
        self._attachments: list[tuple] = []
        self._keys: list[tuple[str, int]] = []
        self.attachments = _Attachments(self.db)
        self.children = _Children(self.db)
        self.known = _Keys(self.db)
        self.local = _Local(self.db)
        self.images = _Images(self.db)

    # -- writing ---------------------------------------------------------------------

    def add_attachment(self, attachment: Attachment) -> None:
        self._attachments.append((attachment.wp_id, attachment.url, attachment.parent,
                                  attachment.menu_order, attachment.alt, attachment.caption))
        self._keys += [(key, attachment.wp_id) for key in media.key_variants(attachment.url)]
        if len(self._attachments) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write what ``add_attachment`` buffered; lookups see only what was flushed."""
        if self._attachments:
            # A later item with the same id replaces the earlier, as a dict would.
            self.db.executemany("INSERT OR REPLACE INTO attachment VALUES (?, ?, ?, ?, ?, ?)",
                                self._attachments)
            self._attachments = []
        if self._keys:
            self.db.executemany("INSERT INTO file_key VALUES (?, ?)", self._keys)
            self._keys = []

    def set_photos(self, rows: Iterable[tuple[int, int, str]]) -> None:
        """Replace the imported photos: (attachment wp id, Image pk, its file's URL)."""
        self.db.execute("DELETE FROM photo")
        batch: list[tuple[int, int, str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= FLUSH_EVERY:
                self.db.executemany("INSERT OR REPLACE INTO photo VALUES (?, ?, ?)", batch)
                batch = []
        if batch:
            self.db.executemany("INSERT OR REPLACE INTO photo VALUES (?, ?, ?)", batch)

    def attachment_ids(self, chunk: int) -> Iterator[list[int]]:
        """Every attachment's wp id, ``chunk`` at a time, in order."""
        last = -1
        while True:
            ids = [row[0] for row in self.db.execute(
                "SELECT wp_id FROM attachment WHERE wp_id > ? ORDER BY wp_id LIMIT ?", (last, chunk))]
            if not ids:
                return
            yield ids
            last = ids[-1]

    def add_addresses(self, addresses: Iterable[tuple[str, str]]) -> None:
        for path, query in addresses:
            pickle.dump((path, query), self._addresses, protocol=pickle.HIGHEST_PROTOCOL)
            self.address_count += 1

    def addresses(self) -> "_Addresses":
        """The old addresses recorded, in order, read lazily; still readable after ``close()``
        (the reader then owns the file and closes it when done or dropped)."""
        self._handed_out = True
        return _Addresses(self._addresses)

    def close(self) -> None:
        self.db.close()  # SQLite deletes the temporary database
        if not self._handed_out:
            self._addresses.close()

    def __enter__(self) -> "ExportIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Addresses:
    """Iterate the spooled addresses once; closes the file at the end, or when dropped."""

    def __init__(self, spool) -> None:
        self.spool = spool

    def __iter__(self) -> Iterator[tuple[str, str]]:
        try:
            self.spool.seek(0)
            while True:
                try:
                    yield pickle.load(self.spool)  # our own temporary file
                except EOFError:
                    return
        finally:
            self.spool.close()

    def __del__(self) -> None:
        self.spool.close()


# -- read-only views -----------------------------------------------------------------------

class _View:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def _one(self, sql: str, *args):
        return self.db.execute(sql, args).fetchone()


class _Attachments(_View, Mapping):
    """wp id -> ``Attachment``, for every photo attachment of the export."""

    def __getitem__(self, wp_id: int) -> Attachment:
        row = self._one("SELECT wp_id, url, parent, menu_order, alt, caption FROM attachment "
                        "WHERE wp_id = ?", wp_id) if isinstance(wp_id, int) else None
        if row is None:
            raise KeyError(wp_id)
        return Attachment(*row)

    def __contains__(self, wp_id: object) -> bool:
        return isinstance(wp_id, int) and self._one("SELECT 1 FROM attachment WHERE wp_id = ?", wp_id) is not None

    def __iter__(self) -> Iterator[int]:
        return (row[0] for row in self.db.execute("SELECT wp_id FROM attachment ORDER BY wp_id"))

    def __len__(self) -> int:
        return self._one("SELECT count(*) FROM attachment")[0]


class _Children(_View, Mapping):
    """Item wp id -> the wp ids of its photo attachments (``wp:post_parent``), by id."""

    def __getitem__(self, parent: int) -> list[int]:
        ids = [row[0] for row in self.db.execute(
            "SELECT wp_id FROM attachment WHERE parent = ? ORDER BY wp_id", (parent,))] \
            if isinstance(parent, int) else []
        if not ids:
            raise KeyError(parent)
        return ids

    def __iter__(self) -> Iterator[int]:
        return (row[0] for row in self.db.execute("SELECT DISTINCT parent FROM attachment ORDER BY parent"))

    def __len__(self) -> int:
        return self._one("SELECT count(DISTINCT parent) FROM attachment")[0]


class _Keys(_View, Set):
    """Every photo attachment's file keys (``media.file_key``)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._one("SELECT 1 FROM file_key WHERE key = ? LIMIT 1", key) is not None

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self.db.execute("SELECT DISTINCT key FROM file_key"))

    def __len__(self) -> int:
        return self._one("SELECT count(DISTINCT key) FROM file_key")[0]


_LOCAL = ("SELECT photo.url FROM file_key JOIN photo ON photo.wp_id = file_key.wp_id "
          "WHERE file_key.key = ? ORDER BY file_key.rowid DESC LIMIT 1")


class _Local(_View, Mapping):
    """File key -> the URL of the imported photo it names."""

    def __getitem__(self, key: str) -> str:
        row = self._one(_LOCAL, key) if isinstance(key, str) else None
        if row is None:
            raise KeyError(key)
        return row[0]

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self.db.execute(
            "SELECT DISTINCT key FROM file_key JOIN photo ON photo.wp_id = file_key.wp_id"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Images(_View, Mapping):
    """Attachment wp id -> the pk of its imported ``Image``."""

    def __getitem__(self, wp_id: int) -> int:
        row = self._one("SELECT pk FROM photo WHERE wp_id = ?", wp_id) if isinstance(wp_id, int) else None
        if row is None:
            raise KeyError(wp_id)
        return row[0]

    def __iter__(self) -> Iterator[int]:
        return (row[0] for row in self.db.execute("SELECT wp_id FROM photo ORDER BY wp_id"))

    def __len__(self) -> int:
        return self._one("SELECT count(*) FROM photo")[0]
