"""Import a WordPress export into the site, one cluster of items at a time.

An import runs in four phases:

1. **Scan** (no database): stream the whole file through ``parser.read_export``,
   which validates it end to end; keep the authors, terms and pages, index every photo
   attachment on disk (``index.ExportIndex``: galleries and image links need them
   whatever cluster they are in), and spool this cluster's posts, pages and attachments
   to a temporary file. A bad file - truncated, not XML, not WXR, entity tricks - stops
   here, before anything is written.
2. **Prepare** (no database): turn each spooled item into field values - the costly
   HTML work (``formatting.render``, sanitising) - so clusters do it in parallel.
3. **Fetch** (no lock): copy this cluster's photo attachments from ``--uploads`` or
   download them, a few at a time, and store them with their sizes (``media``).
4. **Write** (one transaction): upsert authors, terms, photos, pages, posts with their
   categories, tags, cover and comments, and the old addresses, a batch at a time;
   point bodies at the imported photos; commit; purge the cache once.

Memory stays flat whatever the export's size: what a cluster holds between phases (its
items, fetched photos, old addresses to purge) waits in temporary files, and the
export-wide photo index is a temporary SQLite file; only the authors, terms and pages,
which a site has few of, are held in memory.

Clusters slice the items by WordPress id (``blog.clusters.Cluster``), so N imports
``--cluster=1/N`` ... ``--cluster=N/N`` import each item exactly once, and they may run
at the same time: upserts are race-safe (``INSERT ... ON CONFLICT DO NOTHING`` then read
back). A body pointing at a photo another cluster imports is marked and fixed by
whichever cluster writes after that photo exists. SQLite has one writer at a time, so a
cluster waits for the write lock up to ``LOCK_PATIENCE`` (retrying past the
connection's own timeout). ``dry_run`` does all of it but fetching and rolls back.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import pickle
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connections, router, transaction

from blog import invalidation
from blog.clusters import Cluster
from blog.html import plain_text, sanitize
from blog.models import Category, Post, Tag
from blog.wordpress import formatting, media, writers
from blog.wordpress.formatting import Attachment, Context
from blog.wordpress.index import ExportIndex
from blog.wordpress.parser import Author, Item, SiteLink, Term, read_export
from blog.wordpress.report import ImportReport
from blog.wordpress.writers import (
    FALLBACK_LOGIN, PreparedAttachment, PreparedComment, PreparedPage, PreparedPost,
    base_slug, published_at,
)
from cachekeys.purge import purge_quietly
from cachekeys.tracking import tracker

logger = logging.getLogger("blog.wordpress")

# SQLite lets one connection write at a time; each wait is bounded by the connection's
# own timeout (20 s in settings), and a cluster keeps retrying up to this long.
LOCK_PATIENCE = 60 * 60.0
IMPORTED_TYPES = ("post", "page", "attachment")
KIND_OF = {"post": "posts", "page": "pages", "attachment": "attachments"}
# Why the other item types are left out (the report says so).
SKIP_REASONS = {
    "revision": "an older revision of a post",
    "nav_menu_item": "menus are not imported",
    "custom_css": "theme styles are not imported",
    "customize_changeset": "theme settings are not imported",
    "oembed_cache": "WordPress's embed cache",
    "wp_block": "reusable blocks are not imported",
    "wp_template": "theme templates are not imported",
    "wp_template_part": "theme templates are not imported",
    "wp_global_styles": "theme styles are not imported",
    "wp_navigation": "menus are not imported",
    "user_request": "privacy requests are not imported",
}
# An empty or unknown status is held for moderation: never shown unless an editor says so.
COMMENT_STATUS = {"1": "approved", "approve": "approved", "0": "pending", "hold": "pending", "": "pending",
                  "spam": "spam"}
MAX_TITLE = Post._meta.get_field("title").max_length


def downloads_dir() -> Path:
    """Where downloaded attachments wait for their commit (a re-run finds them there)."""
    return Path(getattr(settings, "VAR_DIR", Path(tempfile.gettempdir()))) / "wordpress-downloads"


def import_export(
    path: str,
    cluster: Cluster = Cluster(1, 1),
    *,
    using: str | None = None,
    purge_cache: bool = True,
    uploads: str | None = None,
    dry_run: bool = False,
    on_scan: Callable[[int], None] | None = None,
    on_post: Callable[[int], None] | None = None,
    on_scanned: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the items of ``cluster`` from the export at ``path`` and return the report.

    Raise ``parser.ExportError`` for a bad file and ``ImportFailure`` if the database
    stays locked; in both cases nothing is committed. With ``purge_cache`` (the default)
    what changed is purged from the page cache once, after the commit; without, the
    caller must purge. ``uploads`` is a copy of the old ``wp-content/uploads``.
    ``on_scan(bytes)``, ``on_scanned(items)`` and ``on_post(n)`` report progress.
    """
    started = time.monotonic()
    report = ImportReport(path=str(path), cluster=cluster, dry_run=dry_run)
    using = using or router.db_for_write(Post)
    with ExportIndex() as index, _spool("scan") as raw, _spool("items") as ready, \
            _spool("attachments") as photos, _spool("fetched") as fetched:
        scan = _scan(path, cluster, report, raw, on_scan, index)
        raw.seek(0)
        _prepare_all(_unspool(raw), scan, report, ready, photos)
        raw.close()  # the raw items are not needed again: free their disk space now
        report.read_seconds = time.monotonic() - started
        if on_scanned is not None:
            on_scanned(scan.items)
        fetcher = media.Fetcher(uploads, downloads_dir(), _max_upload_bytes())
        fetched_at = time.monotonic()
        photos.seek(0)
        _fetch(_unspool(photos), report, fetcher, using, fetched, dry_run)
        report.fetch_seconds = time.monotonic() - fetched_at
        ready.seek(0)
        fetched.seek(0)
        _write(scan, ready, fetched, report, using, on_post, purge_cache, dry_run)
        if not dry_run:
            fetched.seek(0)
            fetcher.forget(item.url for item, photo in _unspool(fetched) if photo is not None)
            fetcher.clear()
    report.seconds = time.monotonic() - started
    return report


class ImportFailure(Exception):
    """The import stopped and nothing was committed; ``str()`` is one line."""


def _spool(name: str):
    """A temporary file for one phase's records (pickled, read back in order)."""
    return tempfile.TemporaryFile(prefix=f"wordpress-{name}-")


# -- scan -------------------------------------------------------------------------------

@dataclass
class _Scan:
    """What the scan keeps: every term and page, the photos' index (on disk), the cluster's counts."""

    index: ExportIndex  # every photo attachment of the export; the old addresses to purge
    authors: dict[str, Author] = field(default_factory=dict)
    categories: dict[str, Term] = field(default_factory=dict)  # nicename -> term
    tags: dict[str, Term] = field(default_factory=dict)
    pages: dict[int, tuple[str, int]] = field(default_factory=dict)  # page id -> (slug, parent)
    site_url: str = ""  # the old blog's address (base_blog_url, else the channel's link)
    items: int = 0  # this cluster's posts, pages and attachments
    base_urls: set[str] = field(default_factory=set)
    years: dict = field(default_factory=dict)  # year archives of the posts written, recorded last

    @property
    def attachments(self) -> Mapping[int, Attachment]:
        return self.index.attachments

    @property
    def children(self) -> Mapping[int, list[int]]:
        return self.index.children


def _scan(path, cluster: Cluster, report: ImportReport, spool, on_scan, index: ExportIndex) -> _Scan:
    scan = _Scan(index)
    for record in read_export(path, progress=on_scan):
        if isinstance(record, Item):
            _scan_item(record, cluster, scan, report, spool)
        elif isinstance(record, SiteLink):
            if record.url:
                scan.base_urls.add(record.url)
                if record.kind == "base_blog_url" or not scan.site_url:
                    scan.site_url = record.url  # where the blog's own addresses started
        elif isinstance(record, Author):
            if record.login:
                scan.authors[record.login] = record
        elif record.taxonomy == "category":
            scan.categories[record.nicename] = record
        else:
            scan.tags[record.nicename] = record
    index.flush()
    return scan


def _scan_item(item: Item, cluster: Cluster, scan: _Scan, report: ImportReport, spool) -> None:
    kind = item.post_type
    photo = kind == "attachment" and media.is_image_url(item.attachment_url)
    if photo:
        scan.index.add_attachment(Attachment(
            wp_id=item.wp_id, url=item.attachment_url, parent=item.parent, menu_order=item.menu_order,
            alt=plain_text(item.meta.get("_wp_attachment_image_alt", "")),
            caption=plain_text(formatting.strip_shortcodes(item.excerpt)),
        ))
    elif kind == "page":
        scan.pages[item.wp_id] = (base_slug(item), item.parent)
    if kind not in IMPORTED_TYPES:
        reason = SKIP_REASONS.get(kind, f"items of type {kind!r} are not imported")
        report.skip(kind if kind.endswith("s") else kind + "s", reason)
        return
    if not cluster.contains(item.wp_id):
        report.elsewhere += 1
        return
    if kind == "attachment" and not photo:
        report.skip("attachments", "not a photo (only JPEG, PNG, GIF and WebP files are imported)")
        return
    pickle.dump(item, spool, protocol=pickle.HIGHEST_PROTOCOL)
    scan.items += 1
    # Authors and terms an item names without declaring them still get made.
    creator = item.creator or FALLBACK_LOGIN
    scan.authors.setdefault(creator, Author(login=creator))
    if kind == "post":
        for taxonomy, nicename, name in item.terms:
            known = scan.categories if taxonomy == "category" else scan.tags
            known.setdefault(nicename, Term(taxonomy, nicename, name))


def _unspool(spool) -> Iterator:
    while True:
        try:
            yield pickle.load(spool)  # our own temporary file, written by this import
        except EOFError:
            return


# -- prepare ----------------------------------------------------------------------------

def _prepare_all(items: Iterable[Item], scan: _Scan, report: ImportReport, out, attachments) -> None:
    for item in items:
        if item.post_type == "attachment":
            pickle.dump(prepare_attachment(item), attachments, protocol=pickle.HIGHEST_PROTOCOL)
            continue
        context = Context(post_id=item.wp_id, attachments=scan.attachments, children=scan.children)
        if item.post_type == "page":
            prepared = prepare_page(item, scan.pages, context)
        else:
            prepared = prepare(item, context)
            for comment, reason in _comments(item):
                if reason:
                    report.skip("comments", reason)
                else:
                    prepared.comments.append(comment)
        pickle.dump(prepared, out, protocol=pickle.HIGHEST_PROTOCOL)


def render_body(item: Item, context: Context | None = None) -> str:
    """The sanitised HTML of an item's body, as WordPress showed it (see ``formatting``)."""
    # Stored sanitised, not only rendered so: no script survives anywhere in the row.
    return sanitize(formatting.render(item.content, context or Context(post_id=item.wp_id)))


def excerpt_of(item: Item, context: Context | None = None) -> str:
    """The excerpt: WordPress's own, else the text before ``<!--more-->``, else "" (summarised)."""
    if item.excerpt.strip():
        return plain_text(formatting.strip_shortcodes(item.excerpt))
    teaser, has_more = formatting.split_more(item.content)
    if not has_more:
        return ""
    teaser_html = formatting.render(teaser, context or Context(post_id=item.wp_id))
    # A line break or a block's end separates words; plain_text alone would glue them.
    return plain_text(re.sub(r"<br\s*/?>|</(?:p|h[1-6]|li|blockquote|figcaption)>", " \\g<0>", teaser_html))


def reader_status(item: Item, date: datetime | None, now: datetime | None = None) -> str:
    """Return the status readers' pages go by: published only if WordPress showed it to all.

    Private, draft, pending, trashed and password-protected items become drafts (the
    site has no per-reader access and no password form). A scheduled ("future") item
    stays scheduled if its date is still ahead; one whose date passed was never published
    by WordPress (a missed schedule), so it is a draft too.
    """
    from django.utils import timezone

    if item.password:
        return Post.Status.DRAFT
    if item.status == "publish":
        return Post.Status.PUBLISHED
    if item.status == "future" and date is not None and date > (now or timezone.now()):
        return Post.Status.PUBLISHED
    return Post.Status.DRAFT


def prepare(item: Item, context: Context | None = None) -> PreparedPost:
    """Turn a post ``<item>`` into field values; the costly HTML work happens here, in parallel."""
    date = published_at(item)
    categories = [nicename for taxonomy, nicename, _ in item.terms if taxonomy == "category"]
    cover = item.meta.get("_thumbnail_id", "").strip()
    return PreparedPost(
        wp_id=item.wp_id,
        title=(plain_text(item.title) or "(no title)")[:MAX_TITLE],
        body=render_body(item, context),
        excerpt=excerpt_of(item, context),
        status=reader_status(item, date),
        wordpress_status=item.status[:20],
        protected=bool(item.password),
        sticky=item.sticky,
        published_at=date,
        creator=item.creator or FALLBACK_LOGIN,
        category=categories[0] if categories else None,
        extra_categories=list(dict.fromkeys(c for c in categories[1:] if c != categories[0])),
        tags=[nicename for taxonomy, nicename, _ in item.terms if taxonomy == "post_tag"],
        slug=base_slug(item),
        cover=int(cover) if cover.isdigit() else None,
        link=item.link,
    )


def prepare_page(item: Item, pages: dict[int, tuple[str, int]], context: Context | None = None) -> PreparedPage:
    date = published_at(item)
    return PreparedPage(
        wp_id=item.wp_id,
        title=(plain_text(item.title) or "(no title)")[:MAX_TITLE],
        body=render_body(item, context),
        published=reader_status(item, date) == Post.Status.PUBLISHED and item.status == "publish",
        wordpress_status="protected" if item.password else item.status[:20],
        parent=item.parent or None,
        slug=base_slug(item),  # nested under its parent's (Page.parent): /about/team/ as in WordPress
        menu_order=item.menu_order,
        link=item.link,
    )


def prepare_attachment(item: Item) -> PreparedAttachment:
    return PreparedAttachment(
        wp_id=item.wp_id,
        title=plain_text(item.title),
        url=item.attachment_url,
        attached_file=item.meta.get("_wp_attached_file", ""),
        alt=plain_text(item.meta.get("_wp_attachment_image_alt", ""))[:300],
        caption=plain_text(formatting.strip_shortcodes(item.excerpt))[:500],
        creator=item.creator or FALLBACK_LOGIN,
        uploaded_at=published_at(item),
        link=item.link,
        parent=item.parent,
    )


def _comments(item: Item) -> Iterator[tuple[PreparedComment | None, str]]:
    """Each comment made ready, or the reason it is left out."""
    from blog.html import sanitize_comment

    for comment in item.comments:
        if comment.kind in ("pingback", "trackback"):
            yield None, f"{comment.kind}s are not imported"
            continue
        status = COMMENT_STATUS.get(comment.approved.strip().lower())
        if status is None:
            yield None, f"status {comment.approved!r} (trashed)"
            continue
        yield PreparedComment(
            wp_id=comment.wp_id, parent=comment.parent or None,
            author_name=(plain_text(comment.author) or "Anonymous")[:100],
            author_email=comment.email[:254], author_url=writers.safe_url(comment.url)[:200],
            body=comment.content, body_html=sanitize_comment(comment.content),
            status=status, created_at=writers.comment_date(comment, item),
            ip=writers.valid_ip(comment.ip if hasattr(comment, "ip") else ""),
        ), ""


# -- fetch ------------------------------------------------------------------------------

def _max_upload_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_MB", 20) * 1024 * 1024


def _fetch(items: Iterable[PreparedAttachment], report: ImportReport, fetcher: media.Fetcher,
           using: str, out, dry_run: bool = False) -> None:
    """Fetch and store the cluster's photos not imported yet, a batch at a time.

    Spool each attachment with its stored photo (None: already in the library, not
    fetched, or a dry run) to ``out``, for the write phase: only a batch's photos are
    held in memory at once.
    """
    from blog.models import Image

    for batch in _batches(items, writers.BATCH):
        stored = {} if dry_run else _fetch_batch(batch, report, fetcher, using, Image)
        for item in batch:
            pickle.dump((item, stored.get(item.wp_id)), out, protocol=pickle.HIGHEST_PROTOCOL)


def _fetch_batch(batch: list[PreparedAttachment], report: ImportReport, fetcher: media.Fetcher,
                 using: str, Image) -> dict:
    from blog import images

    wanted = {item.wp_id: item for item in batch}
    have = set(Image.objects.using(using).filter(wordpress_id__in=list(wanted))
               .values_list("wordpress_id", flat=True))
    missing = [media.Wanted(wp_id, item.url, item.attached_file)
               for wp_id, item in wanted.items() if wp_id not in have]
    storage = Image._meta.get_field("file").storage
    stored: dict = {}

    def done(fetched: media.Fetched) -> None:
        item = wanted[fetched.wp_id]
        if fetched.data is None:
            report.fail("attachments", item.wp_id, item.title, fetched.error)
            return
        name = item.url.rsplit("/", 1)[-1] or f"attachment-{item.wp_id}"
        try:
            stored[item.wp_id] = images.store(media.as_upload(fetched.data, name), storage)
        except ValidationError as error:
            report.fail("attachments", item.wp_id, item.title, " ".join(error.messages))

    fetcher.fetch_all(missing, done)
    return stored


# -- write ------------------------------------------------------------------------------

def _write(scan: _Scan, ready, fetched, report: ImportReport, using: str, on_post,
           purge_cache: bool, dry_run: bool) -> None:
    waiting = time.monotonic()
    deadline = waiting + LOCK_PATIENCE
    while True:
        try:
            # Per-save purge tracking would read every item's state twice and purge per
            # transaction anyway; the import purges what it changed once, after the commit.
            with tracker.paused(), _write_transaction(using):
                report.wait_seconds = time.monotonic() - waiting
                _write_all(scan, ready, fetched, report, using, on_post)
                if dry_run:
                    transaction.set_rollback(True, using=using)
                elif not purge_cache and report.changed_ids:
                    # purge_posts brings the search index up to date; without it, do that here
                    # (the saves indexed each post before its tags and categories were linked).
                    _reindex(report.changed_ids)
                elif purge_cache and (report.changed_ids or report.changed_pages or report.redirects):
                    posts, pages = list(report.changed_ids), list(report.changed_pages)
                    # Read back from the index only now, after the commit: never all in memory
                    # while the cluster writes.
                    addresses = scan.index.addresses() if report.redirects else ()
                    transaction.on_commit(lambda: _timed_purge(posts, pages, addresses, report), using=using)
            return
        except _Busy:
            if time.monotonic() > deadline:
                raise ImportFailure(
                    f"the database stayed locked by other writers for {LOCK_PATIENCE:.0f} s"
                ) from None
            logger.info("cluster %s waits for the database's write lock", report.cluster)
            time.sleep(0.5)


def _write_all(scan: _Scan, ready, fetched, report: ImportReport, using: str, on_post) -> None:
    users = writers.upsert_authors(scan.authors.values(), using)
    categories = writers.upsert_terms(Category, scan.categories.values(), using)
    writers.link_parents(scan.categories.values(), categories, using)
    tags = writers.upsert_terms(Tag, scan.tags.values(), using)
    report.authors, report.categories, report.tags = len(users), len(categories), len(tags)
    # Each batch's old addresses are recorded after it, so only a batch's are ever held.
    for batch in _batches(_unspool(fetched), writers.BATCH):
        writers.write_attachments(batch, users, report, using)
        writers.record_old_addresses(report, scan, using)
    photos = writers.PhotoMap.load(scan.index, using)
    for batch in _batches(_unspool(ready), writers.BATCH):
        pages = [item for item in batch if isinstance(item, PreparedPage)]
        posts = [item for item in batch if isinstance(item, PreparedPost)]
        if pages:
            writers.write_pages(pages, photos, report, using)
        if posts:
            writers.write_posts(posts, users, categories, tags, photos, report, using)
        writers.record_old_addresses(report, scan, using)
        if on_post is not None:
            on_post(len(batch))
    writers.resolve_waiting_media(photos, report, using)
    writers.record_old_addresses(report, scan, using, last=True)


def _reindex(post_ids: list[int]) -> None:
    try:
        from blog import search
    except ImportError:  # pragma: no cover - a site without the search index
        return
    for chunk in _batches(post_ids, writers.BATCH):  # a batch's documents at a time
        search.reindex(chunk)


class _Busy(Exception):
    """Another connection holds SQLite's write lock; nothing was done yet, retry."""


@contextlib.contextmanager
def _write_transaction(using: str) -> Iterator[None]:
    """Open the import's transaction holding the write lock, or raise ``_Busy``.

    With the project's SQLite ``transaction_mode = IMMEDIATE`` it is ``atomic()`` itself
    that asks for the lock (``BEGIN IMMEDIATE``) and, after the connection's timeout,
    raises "database is locked": that is turned into ``_Busy`` too, so the caller's
    retry loop, not the connection timeout, decides how long the import waits.
    """
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(transaction.atomic(using=using))
        except OperationalError as error:
            if _is_busy(error):
                raise _Busy from error
            raise
        _take_write_lock(using)  # without IMMEDIATE mode: take it before the first read
        yield


def _is_busy(error: OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _take_write_lock(using: str) -> None:
    """On SQLite, take the write lock now, before reading anything.

    A transaction that reads first and writes later cannot wait for the lock: SQLite
    answers "database is locked" at once to avoid a deadlock with the current writer.
    An UPDATE that matches no row takes the lock up front, like BEGIN IMMEDIATE, and
    waits up to the connection's timeout. PostgreSQL locks rows instead: nothing to do.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    table = connection.ops.quote_name(Post._meta.db_table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id WHERE 0")
    except OperationalError as error:
        if _is_busy(error):
            raise _Busy from error
        raise


def _batches(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size``; between two, the last one's garbage is collected.

    A batch's model instances, querysets and prefetch caches form reference cycles.
    Left to the collector's own pace, that garbage piles up for many batches before a
    full collection (tens of MB on a large cluster): collected here, a worker's memory
    is one batch's worth whatever the number of batches.
    """
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
            gc.collect()
    if batch:
        yield batch
        gc.collect()


def _timed_purge(post_ids: list[int], page_ids: list[int], addresses: list, report: ImportReport) -> None:
    started = time.monotonic()
    purge(post_ids, page_ids, addresses)
    report.purge_seconds = time.monotonic() - started


def purge(post_ids: list[int], page_ids: list[int] = (), addresses: list = ()) -> None:
    """Ask the page cache to drop every page showing these posts, once; then the pages
    and old addresses written (a second purge only when there are any).

    Runs after the commit. A cache failure is logged (purge_quietly): the import itself
    succeeded.
    """
    if post_ids:
        purge_quietly(invalidation.purge_posts, post_ids)
    if page_ids or addresses:
        purge_quietly(writers.purge_pages, page_ids, addresses)


def autop(text: str) -> str:
    """WordPress's ``wpautop`` (kept here for callers of the first version)."""
    return formatting.autop(text)
