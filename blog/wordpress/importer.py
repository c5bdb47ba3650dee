"""Import a WordPress export into the blog, one cluster of posts at a time.

An import runs in two phases:

1. **Scan** (no database): stream the whole file through ``parser.read_export``,
   which validates it end to end, keep the authors, categories and tags (a site has
   few of those), and spool this cluster's posts to a temporary file. A bad file -
   truncated, not XML, not WXR, entity tricks - stops here, before anything is written.
2. **Write** (one transaction): upsert the authors, categories and tags, then every
   spooled post keyed by its WordPress id, and commit. The cache is purged once, after
   the commit, for every post that was created or changed.

Clusters slice the posts by WordPress id (``blog.clusters.Cluster``), so N imports
``--cluster=1/N`` ... ``--cluster=N/N`` import each post exactly once, and they may run
at the same time: scans run in parallel, and upserts are race-safe (``INSERT ... ON
CONFLICT DO NOTHING`` then read back). SQLite has one writer at a time, so a cluster
takes the write lock when its write phase starts and waits for it as long as needed.
"""
from __future__ import annotations

import contextlib
import logging
import pickle
import re
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.utils import timezone
from django.utils.text import slugify

from blog import invalidation
from blog.clusters import Cluster
from blog.html import plain_text, sanitize, summarize
from blog.models import Category, Post, Tag
from blog.wordpress.parser import Author, Item, Term, read_export
from cachekeys.tracking import tracker

logger = logging.getLogger("blog.wordpress")

BATCH = 500  # posts read back from the spool and looked up per query
# SQLite lets one connection write at a time; each wait is bounded by the connection's
# own timeout (20 s in settings), and a cluster keeps retrying up to this long.
LOCK_PATIENCE = 60 * 60.0
FALLBACK_LOGIN = "wordpress"  # the author of items whose dc:creator is empty
ZERO_DATE = "0000-00-00 00:00:00"  # WordPress's "no date", e.g. an unscheduled draft's GMT date
MAX_SLUG = Post._meta.get_field("slug").max_length
MAX_TITLE = Post._meta.get_field("title").max_length
MAX_TERM = Tag._meta.get_field("slug").max_length


class ImportFailure(Exception):
    """The import stopped and nothing was committed; ``str()`` is one line."""


@dataclass
class ImportReport:
    path: str
    cluster: Cluster
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    elsewhere: int = 0  # posts that belong to other clusters
    skipped: Counter = field(default_factory=Counter)  # post_type -> items not imported
    authors: int = 0
    categories: int = 0
    tags: int = 0
    changed_ids: list[int] = field(default_factory=list)  # pks of created and updated posts
    read_seconds: float = 0.0  # the scan: parsing, validating, preparing the posts
    wait_seconds: float = 0.0  # waiting for SQLite's write lock (other clusters writing)
    purge_seconds: float = 0.0  # the cache purge after the commit
    seconds: float = 0.0  # all of it

    @property
    def posts(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        skipped = ", ".join(f"{count} {kind}" for kind, count in sorted(self.skipped.items()))
        return (
            f"{self.path} cluster {self.cluster}: {self.posts} posts "
            f"({self.created} created, {self.updated} updated, {self.unchanged} unchanged), "
            f"{self.elsewhere} in other clusters; {self.authors} authors, "
            f"{self.categories} categories, {self.tags} tags; "
            f"skipped {skipped or 'nothing'}; {self.seconds:.1f} s (read {self.read_seconds:.1f} s, "
            f"waited {self.wait_seconds:.1f} s for the write lock, purged the cache in "
            f"{self.purge_seconds:.1f} s)"
        )


@dataclass
class _Scan:
    """What the scan phase keeps: every term, and this cluster's posts on disk."""

    authors: dict[str, Author] = field(default_factory=dict)
    categories: dict[str, Term] = field(default_factory=dict)  # nicename -> term
    tags: dict[str, Term] = field(default_factory=dict)
    posts: int = 0


def import_export(
    path: str,
    cluster: Cluster = Cluster(1, 1),
    *,
    using: str | None = None,
    purge_cache: bool = True,
    on_scan: Callable[[int], None] | None = None,
    on_post: Callable[[int], None] | None = None,
    on_scanned: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the posts of ``cluster`` from the export at ``path`` and return the counts.

    Raise ``parser.ExportError`` for a bad file and ``ImportFailure`` if the database
    stays locked; in both cases nothing is committed. With ``purge_cache`` (the default)
    the created and changed posts are purged from the page cache once, after the
    commit; without, the caller must purge. ``on_scan(bytes)``,
    ``on_scanned(posts)`` and ``on_post(n)`` report progress.
    """
    started = time.monotonic()
    report = ImportReport(path=str(path), cluster=cluster)
    using = using or router.db_for_write(Post)
    with tempfile.TemporaryFile(prefix="wordpress-import-") as spool:
        scan = _scan(path, cluster, report, spool, on_scan)
        report.read_seconds = time.monotonic() - started
        if on_scanned is not None:
            on_scanned(scan.posts)
        spool.seek(0)
        _write(scan, _unspool(spool), report, using, on_post, purge_cache)
    report.seconds = time.monotonic() - started
    return report


# -- scan -------------------------------------------------------------------------------

def _scan(path, cluster: Cluster, report: ImportReport, spool, on_scan) -> _Scan:
    scan = _Scan()
    for record in read_export(path, progress=on_scan):
        if isinstance(record, Item):
            if record.post_type != "post":
                report.skipped[record.post_type] += 1
            elif not cluster.contains(record.wp_id):
                report.elsewhere += 1
            else:
                pickle.dump(prepare(record), spool, protocol=pickle.HIGHEST_PROTOCOL)
                scan.posts += 1
                # Authors and terms an item names without declaring them still get made.
                scan.authors.setdefault(record.creator or FALLBACK_LOGIN,
                                        Author(login=record.creator or FALLBACK_LOGIN))
                for taxonomy, nicename, name in record.terms:
                    known = scan.categories if taxonomy == "category" else scan.tags
                    known.setdefault(nicename, Term(taxonomy, nicename, name))
        elif isinstance(record, Author):
            if record.login:
                scan.authors[record.login] = record
        elif record.taxonomy == "category":
            scan.categories[record.nicename] = record
        else:
            scan.tags[record.nicename] = record
    return scan


def _unspool(spool) -> Iterator[_Post]:
    while True:
        try:
            yield pickle.load(spool)  # our own temporary file, written above
        except EOFError:
            return


# -- write ------------------------------------------------------------------------------

def _write(scan: _Scan, items: Iterable[_Post], report: ImportReport, using: str, on_post,
           purge_cache: bool) -> None:
    waiting = time.monotonic()
    deadline = waiting + LOCK_PATIENCE
    while True:
        try:
            # Per-save purge tracking would read every post's state twice and purge per
            # transaction anyway; the import purges its posts once itself, after the commit.
            with tracker.paused(), _write_transaction(using):
                report.wait_seconds = time.monotonic() - waiting
                users = _upsert_authors(scan.authors.values(), using)
                categories = _upsert_terms(Category, scan.categories.values(), using)
                _link_parents(scan.categories.values(), categories, using)
                tags = _upsert_terms(Tag, scan.tags.values(), using)
                report.authors, report.categories, report.tags = len(users), len(categories), len(tags)
                for batch in _batches(items, BATCH):
                    _write_posts(batch, users, categories, tags, report, using)
                    if on_post is not None:
                        on_post(len(batch))
                changed = list(report.changed_ids)
                if changed and purge_cache:
                    transaction.on_commit(lambda: _timed_purge(changed, report), using=using)
            return
        except _Busy:
            if time.monotonic() > deadline:
                raise ImportFailure(
                    f"the database stayed locked by other writers for {LOCK_PATIENCE:.0f} s"
                ) from None
            logger.info("cluster %s waits for the database's write lock", report.cluster)
            time.sleep(0.5)


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
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(values: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _upsert_authors(authors: Iterable[Author], using: str) -> dict[str, int]:
    """Create a user for each login not yet known; return login -> user pk.

    Existing users are left as they are: a login may be a staff account of this site.
    New users cannot log in (unusable password) until someone sets one.
    """
    User = get_user_model()
    field = User.USERNAME_FIELD
    limit = User._meta.get_field(field).max_length
    by_name = {author.login[:limit]: author for author in authors}
    users: dict[str, int] = {}
    for chunk in _chunks(list(by_name)):
        users.update(User.objects.using(using).filter(**{f"{field}__in": chunk})
                     .values_list(field, "pk"))
        missing = [by_name[name] for name in chunk if name not in users]
        if missing:
            User.objects.using(using).bulk_create(
                [User(**{field: author.login[:limit]}, email=author.email[:254],
                      first_name=(author.first_name or author.display_name)[:150],
                      last_name=author.last_name[:150], password=make_password(None))
                 for author in missing],
                ignore_conflicts=True,  # another cluster may create the same user meanwhile
            )
            users.update(User.objects.using(using).filter(**{f"{field}__in": chunk})
                         .values_list(field, "pk"))
    return {login: users[login[:limit]] for login in (a.login for a in authors)}


def term_slug(term: Term) -> str:
    """Return a valid ASCII slug for a WordPress term: nicename, else name, else its id."""
    for text in (unquote(term.nicename), term.name):
        slug = slugify(text)[:MAX_TERM].strip("-")
        if slug:
            return slug
    kind = "category" if term.taxonomy == "category" else "tag"
    key = term.term_id or zlib.crc32(f"{term.nicename}\0{term.name}".encode())
    return f"{kind}-{key}"


def _upsert_terms(model, terms: Iterable[Term], using: str) -> dict[str, int]:
    """Create or rename the terms; return WordPress nicename -> pk.

    Keyed by slug: a site category with the same slug is the same category.
    """
    terms = list(terms)
    by_slug: dict[str, Term] = {}
    for term in terms:
        by_slug.setdefault(term_slug(term), term)
    pks: dict[str, int] = {}
    manager = model.objects.using(using)
    for chunk in _chunks(list(by_slug)):
        columns = ["pk", "slug", "name"] + (["description"] if model is Category else [])
        existing = {row["slug"]: row for row in manager.filter(slug__in=chunk).values(*columns)}
        manager.bulk_create(
            [model(slug=slug, name=_term_name(by_slug[slug]), **_description(model, by_slug[slug]))
             for slug in chunk if slug not in existing],
            ignore_conflicts=True,  # another cluster may create the same term meanwhile
        )
        for slug, row in existing.items():
            term = by_slug[slug]
            wanted = {"name": _term_name(term), **_description(model, term)}
            if any(row.get(key) != value for key, value in wanted.items()):
                manager.filter(pk=row["pk"]).update(**wanted)
        pks.update(manager.filter(slug__in=chunk).values_list("slug", "pk"))
    return {term.nicename: pks[term_slug(term)] for term in terms}


def _term_name(term: Term) -> str:
    return (plain_text(term.name) or unquote(term.nicename) or term_slug(term))[:100]


def _description(model, term: Term) -> dict:
    if model is Category and term.description:
        return {"description": plain_text(term.description)}
    return {}


def _link_parents(terms: Iterable[Term], categories: dict[str, int], using: str) -> None:
    wanted = {categories[t.nicename]: categories.get(t.parent) for t in terms if t.parent}
    wanted = {pk: parent for pk, parent in wanted.items() if parent and parent != pk}
    for chunk in _chunks(list(wanted)):
        for pk, parent in Category.objects.using(using).filter(pk__in=chunk).values_list("pk", "parent"):
            if parent != wanted[pk]:
                Category.objects.using(using).filter(pk=pk).update(parent=wanted[pk])


# -- posts ------------------------------------------------------------------------------

@dataclass(slots=True)
class _Post:
    """An item made ready for the database during the scan, outside the write lock."""

    wp_id: int
    title: str
    body: str  # sanitised
    excerpt: str  # plain text; empty means "let Post.save() summarise the body"
    status: str
    wordpress_status: str
    protected: bool  # wp:post_password was set
    sticky: bool
    published_at: datetime | None  # None: the export has no usable date
    creator: str
    category: str | None  # the first category's nicename
    tags: list[str]  # nicenames
    slug: str  # the slug it wants, before de-duplication


def reader_status(item: Item, date: datetime | None, now: datetime | None = None) -> str:
    """Return the status readers' pages go by: published only if WordPress showed it to all.

    Private, draft, pending, trashed and password-protected items become drafts (the
    site has no per-reader access and no password form). A scheduled ("future") item
    stays scheduled if its date is still ahead; one whose date passed was never published
    by WordPress (a missed schedule), so it is a draft too.
    """
    if item.password:
        return Post.Status.DRAFT
    if item.status == "publish":
        return Post.Status.PUBLISHED
    if item.status == "future" and date is not None and date > (now or timezone.now()):
        return Post.Status.PUBLISHED
    return Post.Status.DRAFT


def prepare(item: Item) -> _Post:
    """Turn an ``<item>`` into field values; the costly HTML work happens here, in parallel."""
    date = published_at(item)
    return _Post(
        wp_id=item.wp_id,
        title=(plain_text(item.title) or "(no title)")[:MAX_TITLE],
        # Stored sanitised, not only rendered so: no script survives anywhere in the row.
        body=sanitize(autop(item.content)),
        excerpt=plain_text(item.excerpt),
        status=reader_status(item, date),
        wordpress_status=item.status[:20],
        protected=bool(item.password),
        sticky=item.sticky,
        published_at=date,
        creator=item.creator or FALLBACK_LOGIN,
        category=next((nicename for taxonomy, nicename, _ in item.terms if taxonomy == "category"), None),
        tags=[nicename for taxonomy, nicename, _ in item.terms if taxonomy == "post_tag"],
        slug=base_slug(item),
    )


def _write_posts(items: list[_Post], users, categories, tags, report: ImportReport, using: str) -> None:
    manager = Post.objects.using(using)
    existing = {post.wordpress_id: post for post in
                manager.filter(wordpress_id__in=[item.wp_id for item in items])}
    through = Post.tags.through
    current_tags: dict[int, set[int]] = defaultdict(set)
    for post_id, tag_id in through.objects.using(using).filter(
            post_id__in=[post.pk for post in existing.values()]).values_list("post_id", "tag_id"):
        current_tags[post_id].add(tag_id)
    # slug -> pk of the post holding it; one query for the batch, kept up to date as we save.
    taken = dict(manager.filter(slug__in={item.slug for item in items}).values_list("slug", "pk"))
    new_links = []
    for item in items:
        values = {
            "title": item.title, "body": item.body, "excerpt": item.excerpt, "status": item.status,
            "wordpress_status": item.wordpress_status, "wordpress_protected": item.protected,
            "sticky": item.sticky, "published_at": item.published_at, "author_id": users[item.creator],
            "category_id": categories[item.category] if item.category is not None else None,
        }
        tag_ids = {tags[nicename] for nicename in item.tags}
        post = existing.get(item.wp_id)
        if post is None:
            if values["published_at"] is None:
                values["published_at"] = timezone.now()
            post = Post(wordpress_id=item.wp_id, **values)
            _save(post, item.slug, taken, using)
            report.created += 1
            report.changed_ids.append(post.pk)
            new_links += [through(post_id=post.pk, tag_id=tag_id) for tag_id in sorted(tag_ids)]
            continue
        if values["published_at"] is None:
            values["published_at"] = post.published_at  # unknown in the export: keep ours
        changed = [name for name, value in values.items()
                   if name != "excerpt" and getattr(post, name) != value]
        if post.excerpt != (values["excerpt"] or summarize(values["body"])):
            changed.append("excerpt")
        for name in changed:
            setattr(post, name, values[name])
        # A post keeps its slug, even a de-duplicated "-2" one, while WordPress's is the same.
        slug_kept = post.slug == item.slug or re.fullmatch(re.escape(item.slug) + r"-\d+", post.slug)
        if changed or not slug_kept:
            _save(post, None if slug_kept else item.slug, taken, using, update_fields=changed)
        if current_tags.get(post.pk, set()) != tag_ids:
            post.tags.set(tag_ids)
            changed.append("tags")
        if changed or not slug_kept:
            report.updated += 1
            report.changed_ids.append(post.pk)
        else:
            report.unchanged += 1
    through.objects.using(using).bulk_create(new_links)


def published_at(item: Item) -> datetime | None:
    """Return the item's date: GMT date, else local date (in TIME_ZONE), else pubDate."""
    for text, aware in ((item.date_gmt, True), (item.date, False)):
        if text and text != ZERO_DATE:
            try:
                moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            if aware:
                return moment.replace(tzinfo=dt_timezone.utc)
            return timezone.make_aware(moment)
    if item.pub_date:
        try:
            moment = parsedate_to_datetime(item.pub_date)
        except (TypeError, ValueError):
            return None
        if moment.year > 1:  # WordPress writes "Mon, 30 Nov -0001 00:00:00 +0000" for none
            return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)
    return None


def base_slug(item: Item) -> str:
    """Return the slug a post wants: its WordPress slug, else its title, else ``post-<id>``.

    WordPress stores non-ASCII slugs percent-encoded; decoded, they slugify to ASCII
    (letters outside ASCII are dropped), and an empty result falls through.
    """
    for text in (unquote(item.slug), plain_text(item.title)):
        slug = slugify(text)[:MAX_SLUG - 8].strip("-")  # room for a "-NNNNNNN" suffix
        if slug:
            return slug
    return f"post-{item.wp_id}"


def _save(post: Post, base: str | None, taken: dict[str, int], using: str, update_fields=None) -> None:
    """Save ``post``; if ``base`` is given, first give it ``base`` or the next free ``base-N``.

    On SQLite this cluster holds the database's only write lock, so a free slug stays
    free. Elsewhere a concurrent cluster may take it between the check and the insert:
    a savepoint lets us pick the next one and try again.
    """
    concurrent = connections[using].vendor != "sqlite"
    fields = None if update_fields is None else {*update_fields, *(["slug"] if base else [])}
    for _attempt in range(5):
        if base is not None:
            owner = taken.get(base)
            post.slug = base if owner is None or owner == post.pk else _free_slug(base, post.pk, using)
        try:
            if concurrent:
                with transaction.atomic(using=using):
                    post.save(using=using, update_fields=fields)
            else:
                post.save(using=using, update_fields=fields)
        except IntegrityError:
            if base is None or not concurrent:
                raise  # not a slug race; without a savepoint the transaction is over anyway
            lost = Post.objects.using(using).exclude(pk=post.pk).filter(slug=post.slug).first()
            if lost is None:
                raise
            taken[post.slug] = lost.pk
            continue
        taken[post.slug] = post.pk
        return
    raise ImportFailure(f"could not find a free slug for {base!r}")


def _free_slug(base: str, own_pk: int | None, using: str) -> str:
    taken = Post.objects.using(using).exclude(pk=own_pk)
    if not taken.filter(slug=base).exists():
        return base
    used = set(taken.filter(slug__startswith=base + "-").values_list("slug", flat=True))
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


_BLOCK = re.compile(
    r"^\s*<(p|div|h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|dl|address|section)\b", re.I
)


def autop(text: str) -> str:
    """Turn WordPress's plain-text paragraphs into HTML, like its ``wpautop`` filter.

    WordPress stores a body's paragraphs as blank-line-separated text and adds the
    ``<p>`` tags when it renders; a body that already has paragraphs is left alone.
    """
    if "<p" in text.lower():
        return text
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "\n".join(
        block if _BLOCK.match(block) else "<p>" + block.replace("\n", "<br>\n") + "</p>"
        for block in blocks if block
    )


def _timed_purge(post_ids: list[int], report: ImportReport) -> None:
    started = time.monotonic()
    purge(post_ids)
    report.purge_seconds = time.monotonic() - started


def purge(post_ids: list[int]) -> None:
    """Ask the page cache to drop every page showing these posts, in one call.

    Runs after the commit. A cache failure is logged: the import itself succeeded.
    """
    try:
        invalidation.purge_posts(post_ids)
    except Exception as error:  # noqa: BLE001 - memcached down must not fail a committed import
        logger.error("purging the cache for %d imported posts failed: %s", len(post_ids), error)
