"""The write phase of an import: upserts keyed by WordPress ids, inside the import's transaction.

Everything here runs while the cluster holds the write lock, so it does only database
work: the HTML was rendered and the photos stored before (``importer``). Each upsert
compares what the export says with what the row holds and saves only what differs, so
importing the same file again writes nothing.
"""
from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connections, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from blog.html import plain_text, summarize
from blog.models import Category, Comment, Image, OldUrl, Page, Post
from blog.wordpress import media, redirects
from typing import TYPE_CHECKING
from blog.wordpress.parser import Author, Comment as WxrComment, Item, Term
from blog.wordpress.slugs import term_slug

if TYPE_CHECKING:
    from blog import images
    from blog.wordpress.index import ExportIndex

BATCH = 500  # items read back from the spool and looked up per query
FALLBACK_LOGIN = "wordpress"  # the author of items whose dc:creator is empty
ZERO_DATE = "0000-00-00 00:00:00"  # WordPress's "no date", e.g. an unscheduled draft's GMT date
MAX_SLUG = Post._meta.get_field("slug").max_length
MAX_PAGE_SLUG = Page._meta.get_field("slug").max_length


class ImportFailure(Exception):
    """The import stopped and nothing was committed; ``str()`` is one line."""


# -- what the prepare phase hands over ---------------------------------------------------------

@dataclass(slots=True)
class PreparedComment:
    wp_id: int
    parent: int | None  # the WordPress id of the comment it answers
    author_name: str
    author_email: str
    author_url: str
    body: str
    body_html: str
    status: str
    created_at: datetime
    ip: str | None


@dataclass(slots=True)
class PreparedPost:
    """A post made ready for the database during the scan, outside the write lock."""

    wp_id: int
    title: str
    body: str  # sanitised, pointing at the old site's files until the write phase
    excerpt: str  # plain text; empty means "let Post.save() summarise the body"
    status: str
    wordpress_status: str
    protected: bool  # wp:post_password was set
    sticky: bool
    published_at: datetime | None  # None: the export has no usable date
    creator: str
    category: str | None  # the first category's nicename: the primary one
    extra_categories: list[str]  # the others, in the export's order
    tags: list[str]  # nicenames
    slug: str  # the slug it wants, before de-duplication
    cover: int | None = None  # _thumbnail_id
    link: str = ""
    comments: list[PreparedComment] = field(default_factory=list)


@dataclass(slots=True)
class PreparedPage:
    wp_id: int
    title: str
    body: str
    published: bool
    wordpress_status: str
    parent: int | None
    slug: str
    menu_order: int
    link: str = ""


@dataclass(slots=True)
class PreparedAttachment:
    wp_id: int
    title: str
    url: str
    attached_file: str
    alt: str
    caption: str
    creator: str
    uploaded_at: datetime | None
    link: str = ""
    parent: int = 0


# -- small pure helpers ------------------------------------------------------------------------

def published_at(item: Item) -> datetime | None:
    """Return the item's date: GMT date, else local date (in TIME_ZONE), else pubDate."""
    return _date(item.date_gmt, item.date) or _rss_date(item.pub_date)


def _date(gmt: str, local: str) -> datetime | None:
    for text, aware in ((gmt, True), (local, False)):
        if text and text != ZERO_DATE:
            try:
                moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            if aware:
                return moment.replace(tzinfo=dt_timezone.utc)
            return timezone.make_aware(moment)
    return None


def _rss_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.year > 1:  # WordPress writes "Mon, 30 Nov -0001 00:00:00 +0000" for none
        return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)
    return None


def comment_date(comment: WxrComment, item: Item) -> datetime:
    return _date(comment.date_gmt, comment.date) or published_at(item) or timezone.now()


def base_slug(item: Item) -> str:
    """Return the slug an item wants: its WordPress slug, else its title, else ``post-<id>``.

    WordPress stores non-ASCII slugs percent-encoded; decoded, they slugify to ASCII
    (letters outside ASCII are dropped), and an empty result falls through.
    """
    for text in (unquote(item.slug).removesuffix("__trashed"), plain_text(item.title)):
        slug = slugify(text)[:MAX_SLUG - 8].strip("-")  # room for a "-NNNNNNN" suffix
        if slug:
            return slug
    return f"{'page' if item.post_type == 'page' else 'post'}-{item.wp_id}"


def safe_url(url: str) -> str:
    return url if re.match(r"(?i)https?://[^\s\"'<>]+$", url.strip()) else ""


def valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# -- authors and terms -----------------------------------------------------------------------

def byline_names(author: Author) -> tuple[str, str]:
    """First and last name whose ``get_full_name()`` is the WordPress display name.

    The byline shows the full name; WordPress shows ``display_name``, which may be a
    nickname ("The Countess") rather than first and last name.
    """
    display = plain_text(author.display_name)
    first, last = plain_text(author.first_name), plain_text(author.last_name)
    if not display or display == f"{first} {last}".strip():
        return first[:150], last[:150]
    return display[:150], ""


def upsert_authors(authors: Iterable[Author], using: str) -> dict[str, int]:
    """Create a user for each login not yet known; return login -> user pk.

    Existing users are left as they are: a login may be a staff account of this site.
    New users cannot log in (unusable password) until someone sets one.
    """
    User = get_user_model()
    name_field = User.USERNAME_FIELD
    limit = User._meta.get_field(name_field).max_length
    authors = list(authors)
    by_name = {author.login[:limit]: author for author in authors}
    users: dict[str, int] = {}
    for chunk in _chunks(list(by_name)):
        users.update(User.objects.using(using).filter(**{f"{name_field}__in": chunk})
                     .values_list(name_field, "pk"))
        missing = [by_name[name] for name in chunk if name not in users]
        if missing:
            new = []
            for author in missing:
                first, last = byline_names(author)
                new.append(User(**{name_field: author.login[:limit]}, email=author.email[:254],
                                first_name=first, last_name=last, password=make_password(None)))
            # Another cluster may create the same user meanwhile.
            User.objects.using(using).bulk_create(new, ignore_conflicts=True)
            users.update(User.objects.using(using).filter(**{f"{name_field}__in": chunk})
                         .values_list(name_field, "pk"))
    return {author.login: users[author.login[:limit]] for author in authors}


def upsert_terms(model, terms: Iterable[Term], using: str) -> dict[str, int]:
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


def link_parents(terms: Iterable[Term], categories: dict[str, int], using: str) -> None:
    wanted = {categories[t.nicename]: categories.get(t.parent) for t in terms if t.parent}
    wanted = {pk: parent for pk, parent in wanted.items() if parent and parent != pk}
    for chunk in _chunks(list(wanted)):
        for pk, parent in Category.objects.using(using).filter(pk__in=chunk).values_list("pk", "parent"):
            if parent != wanted[pk]:
                Category.objects.using(using).filter(pk=pk).update(parent=wanted[pk])


# -- photos ------------------------------------------------------------------------------------

def write_attachments(batch: list[tuple[PreparedAttachment, "images.Stored | None"]],
                      users: dict[str, int], report, using: str) -> None:
    """Create the photos fetched for this cluster; update alt text and caption of the others.

    ``batch`` pairs each attachment with its photo as fetched and stored (None: not
    fetched, because it is in the library already, it failed, or this is a dry run).
    """
    tally = report.tallies["attachments"]
    failed = {failure["wp_id"] for failure in report.failures if failure["kind"] == "attachments"}
    manager = Image.objects.using(using)
    for chunk in _chunks(batch):
        existing = {image.wordpress_id: image for image in
                    manager.filter(wordpress_id__in=[item.wp_id for item, _ in chunk])}
        for item, photo in chunk:
            image = existing.get(item.wp_id)
            if image is not None:
                if (image.alt_text, image.caption) != (item.alt, item.caption):
                    image.alt_text, image.caption = item.alt, item.caption
                    image.save(using=using, update_fields=["alt_text", "caption"])
                    tally.updated += 1
                else:
                    tally.unchanged += 1
                _remember(report, "attachment", item.wp_id, item.link, image)
                continue
            if photo is None:
                if item.wp_id not in failed and not report.dry_run:
                    report.fail("attachments", item.wp_id, item.title, "it could not be fetched")
                elif report.dry_run:
                    tally.created += 1  # what a real run would fetch
                continue
            image = Image(file=photo.name, content_hash=photo.digest, width=photo.width,
                          height=photo.height, renditions=photo.renditions, alt_text=item.alt,
                          caption=item.caption, wordpress_id=item.wp_id,
                          uploaded_by_id=users.get(item.creator),
                          uploaded_at=item.uploaded_at or timezone.now())
            image.save(using=using)
            tally.created += 1
            _remember(report, "attachment", item.wp_id, item.link, image)


@dataclass
class PhotoMap:
    """The export's photos: which file key is which attachment, and which are imported.

    Views of the import's on-disk index (``index.ExportIndex``), so a lookup costs a
    query of a local SQLite file and the map's memory does not grow with the export.
    """

    local: Mapping[str, str]  # file key -> the imported photo's URL
    known: AbstractSet[str]  # every photo attachment's file keys
    images: Mapping[int, int]  # attachment wp id -> Image pk
    attachment_ids: Container[int]  # every photo attachment of the export

    @classmethod
    def load(cls, index: "ExportIndex", using: str) -> "PhotoMap":
        """Find which of the export's attachments the library has, as of now."""
        index.set_photos(cls._imported(index, using))
        return cls(index.local, index.known, index.images, index.attachments)

    @staticmethod
    def _imported(index: "ExportIndex", using: str) -> Iterator[tuple[int, int, str]]:
        storage = Image._meta.get_field("file").storage
        for chunk in index.attachment_ids(BATCH):
            for wp_id, pk, name in Image.objects.using(using).filter(
                    wordpress_id__in=chunk).values_list("wordpress_id", "pk", "file"):
                yield wp_id, pk, storage.url(name)

    def rewrite(self, body: str) -> tuple[str, bool]:
        """Return the body pointing at local photos, and whether some are still to come."""
        body, waiting = media.rewrite(body, self.local, self.known)
        return body, bool(waiting)


# -- posts -------------------------------------------------------------------------------------

def write_posts(items: list[PreparedPost], users, categories, tags, photos: PhotoMap, report,
                using: str) -> None:
    manager = Post.objects.using(using)
    tally = report.tallies["posts"]
    existing = {post.wordpress_id: post for post in
                manager.filter(wordpress_id__in=[item.wp_id for item in items])}
    current_tags = _links(Post.tags.through, "tag_id", existing.values(), using)
    current_extra = _links(Post.extra_categories.through, "category_id", existing.values(), using)
    # slug -> pk of the post holding it; one query for the batch, kept up to date as we save.
    taken = dict(manager.filter(slug__in={item.slug for item in items}).values_list("slug", "pk"))
    new_tags, new_extra = [], []
    written: list[tuple[PreparedPost, Post]] = []
    for item in items:
        body, pending = photos.rewrite(item.body)
        cover = photos.images.get(item.cover) if item.cover else None
        pending = pending or (item.cover is not None and cover is None and _is_known(item.cover, photos))
        primary = categories[item.category] if item.category is not None else None
        values = {
            "title": item.title, "body": body, "excerpt": item.excerpt, "status": item.status,
            "wordpress_status": item.wordpress_status, "wordpress_protected": item.protected,
            "sticky": item.sticky, "published_at": item.published_at, "author_id": users[item.creator],
            "category_id": primary, "cover_id": cover, "wordpress_cover_id": item.cover,
            "wordpress_media_pending": pending,
        }
        tag_ids = {tags[nicename] for nicename in item.tags}
        extra_ids = {categories[nicename] for nicename in item.extra_categories} - {primary}
        post = existing.get(item.wp_id)
        if post is None:
            if values["published_at"] is None:
                values["published_at"] = timezone.now()
            post = Post(wordpress_id=item.wp_id, **values)
            _save(post, item.slug, taken, using)
            tally.created += 1
            report.changed_ids.append(post.pk)
            new_tags += [Post.tags.through(post_id=post.pk, tag_id=pk) for pk in sorted(tag_ids)]
            new_extra += [Post.extra_categories.through(post_id=post.pk, category_id=pk)
                          for pk in sorted(extra_ids)]
            written.append((item, post))
            continue
        if values["published_at"] is None:
            values["published_at"] = post.published_at  # unknown in the export: keep ours
        if item.cover is None and post.cover_id and post.wordpress_cover_id is None:
            values["cover_id"] = post.cover_id  # chosen on the site, not in WordPress: keep it
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
        if current_extra.get(post.pk, set()) != extra_ids:
            post.extra_categories.set(extra_ids)
            changed.append("extra_categories")
        if changed or not slug_kept:
            tally.updated += 1
            report.changed_ids.append(post.pk)
        else:
            tally.unchanged += 1
        written.append((item, post))
    Post.tags.through.objects.using(using).bulk_create(new_tags)
    Post.extra_categories.through.objects.using(using).bulk_create(new_extra)
    write_comments(written, report, using)
    for item, post in written:
        _remember(report, "post", item.wp_id, item.link, post)


def _is_known(wp_id: int, photos: PhotoMap) -> bool:
    """A cover still to come: an attachment of the export not imported yet (maybe by another cluster)."""
    return wp_id in photos.attachment_ids and wp_id not in photos.images


def _links(through, column: str, posts: Iterable[Post], using: str) -> dict[int, set[int]]:
    links: dict[int, set[int]] = defaultdict(set)
    for post_id, other in through.objects.using(using).filter(
            post_id__in=[post.pk for post in posts]).values_list("post_id", column):
        links[post_id].add(other)
    return links


def _save(obj: Model, base: str | None, taken: dict[str, int], using: str, update_fields=None) -> None:
    """Save ``obj``; if ``base`` is given, first give it ``base`` or the next free ``base-N``.

    On SQLite this cluster holds the database's only write lock, so a free slug stays
    free. Elsewhere a concurrent cluster may take it between the check and the insert:
    a savepoint lets us pick the next one and try again.
    """
    concurrent = connections[using].vendor != "sqlite"
    fields = None if update_fields is None else {*update_fields, *(["slug"] if base else [])}
    for _attempt in range(5):
        if base is not None:
            owner = taken.get(base)
            obj.slug = base if owner is None or owner == obj.pk else _free_slug(type(obj), base, obj.pk, using)
        try:
            if concurrent:
                with transaction.atomic(using=using):
                    obj.save(using=using, update_fields=fields)
            else:
                obj.save(using=using, update_fields=fields)
        except IntegrityError:
            if base is None or not concurrent:
                raise  # not a slug race; without a savepoint the transaction is over anyway
            lost = type(obj).objects.using(using).exclude(pk=obj.pk).filter(slug=obj.slug).first()
            if lost is None:
                raise
            taken[obj.slug] = lost.pk
            continue
        taken[obj.slug] = obj.pk
        return
    raise ImportFailure(f"could not find a free slug for {base!r}")


def _free_slug(model, base: str, own_pk: int | None, using: str) -> str:
    others = model.objects.using(using).exclude(pk=own_pk)
    reserved = _reserved_page_slugs() if model is Page else set()
    if base not in reserved and not others.filter(slug=base).exists():
        return base
    used = set(others.filter(slug__startswith=base + "-").values_list("slug", flat=True))
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def _reserved_page_slugs() -> set[str]:
    """First path segments the site's own URLs use (``posts``, ``feed``...): no page may take one."""
    try:
        from blog.pages import reserved_segments
    except ImportError:  # pragma: no cover - the pages module is there with the Page model
        return {"admin", "api", "posts", "category", "tag", "author", "archive", "feed", "media", "static"}
    return set(reserved_segments())


# -- comments ----------------------------------------------------------------------------------

def write_comments(written: list[tuple[PreparedPost, Post]], report, using: str) -> None:
    """Create or update the comments of these posts, replies linked to what they answer."""
    tally = report.tallies["comments"]
    wanted = {comment.wp_id: (comment, post) for item, post in written for comment in item.comments}
    if not wanted:
        return
    manager = Comment.objects.using(using)
    existing: dict[int, Comment] = {}
    for chunk in _chunks(list(wanted)):
        existing.update((c.wordpress_id, c) for c in manager.filter(wordpress_id__in=chunk))
    known = {wp: (row.pk, row.parent_id) for wp, row in existing.items()}
    missing_parents = {c.parent for c, _ in wanted.values() if c.parent and c.parent not in wanted}
    for chunk in _chunks(list(missing_parents)):
        known.update((wp, (pk, parent)) for wp, pk, parent in
                     manager.filter(wordpress_id__in=chunk).values_list("wordpress_id", "pk", "parent_id"))
    waiting: dict[int, tuple[PreparedComment, Post]] = {}
    for wp_id, (comment, post) in wanted.items():
        parent = _parent_pk(comment, wanted, known)
        values = {"post_id": post.pk, "author_name": comment.author_name, "author_email": comment.author_email,
                  "author_url": comment.author_url, "body": comment.body, "body_html": comment.body_html,
                  "status": comment.status, "created_at": comment.created_at, "ip": comment.ip}
        row = existing.get(wp_id)
        if row is None:
            waiting[wp_id] = (comment, post)
            continue
        if parent is not _LATER:
            values["parent_id"] = parent
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            manager.filter(pk=row.pk).update(**values)
            tally.updated += 1
        else:
            tally.unchanged += 1
    # New comments in rounds: those whose parent has a row (or have none) first, then their
    # replies, so each is created pointing at what it answers (a file may list a reply first).
    while waiting:
        ready = [(wp_id, comment, post) for wp_id, (comment, post) in waiting.items()
                 if _parent_pk(comment, wanted, known) is not _LATER]
        if not ready:  # a cycle of replies: the rest start their own threads
            ready = [(wp_id, comment, post) for wp_id, (comment, post) in waiting.items()]
            for _wp_id, comment, _post in ready:
                comment.parent = None
        rows = [Comment(wordpress_id=wp_id, post_id=post.pk, parent_id=_parent_pk(comment, wanted, known) or None,
                        author_name=comment.author_name, author_email=comment.author_email,
                        author_url=comment.author_url, body=comment.body, body_html=comment.body_html,
                        status=comment.status, created_at=comment.created_at, ip=comment.ip)
                for wp_id, comment, post in ready]
        # body_html is already sanitised (prepare): bulk_create skips Comment.save() on purpose.
        manager.bulk_create(rows, batch_size=BATCH)
        for (wp_id, _comment, _post), row in zip(ready, rows):
            known[wp_id] = (row.pk, row.parent_id)
            del waiting[wp_id]
        tally.created += len(rows)


_LATER = object()  # the parent is in this batch but has no row yet


def _parent_pk(comment: PreparedComment, wanted: dict, known: dict):
    """The pk of the comment this one answers, None for none, or ``_LATER``."""
    if not comment.parent or comment.parent == comment.wp_id:
        return None
    if comment.parent in known:
        return known[comment.parent][0]
    return _LATER if comment.parent in wanted else None


# -- pages -------------------------------------------------------------------------------------

def write_pages(items: list[PreparedPage], photos: PhotoMap, report, using: str) -> None:
    manager = Page.objects.using(using)
    tally = report.tallies["pages"]
    existing = {page.wordpress_id: page for page in manager.filter(wordpress_id__in=[i.wp_id for i in items])}
    taken = dict(manager.filter(slug__in={item.slug for item in items}).values_list("slug", "pk"))
    for slug in _reserved_page_slugs():
        taken.setdefault(slug, -1)
    # Parents already imported (earlier batches, other clusters, this batch as it goes).
    known = dict(manager.filter(wordpress_id__in={i.parent for i in items if i.parent})
                 .values_list("wordpress_id", "pk"))
    for item in _parents_first(items):
        body, pending = photos.rewrite(item.body)
        values = {"title": item.title, "body": body,
                  "status": Page.Status.PUBLISHED if item.published else Page.Status.DRAFT,
                  "wordpress_status": item.wordpress_status, "wordpress_parent_id": item.parent,
                  "wordpress_media_pending": pending}
        if not item.parent or item.parent in known:  # else linked once the parent is in (link_page_parents)
            values["parent_id"] = _nestable(existing.get(item.wp_id), known.get(item.parent), using)
        page = existing.get(item.wp_id)
        if page is None:
            page = Page(wordpress_id=item.wp_id, footer_order=min(item.menu_order, 32767), **values)
            _save(page, item.slug, taken, using)
            tally.created += 1
            report.changed_pages.append(page.pk)
        else:
            changed = [name for name, value in values.items() if getattr(page, name) != value]
            slug_kept = page.slug == item.slug or re.fullmatch(re.escape(item.slug) + r"-\d+", page.slug)
            for name in changed:
                setattr(page, name, values[name])
            if changed or not slug_kept:
                _save(page, None if slug_kept else item.slug, taken, using, update_fields=changed)
                tally.updated += 1
                report.changed_pages.append(page.pk)
            else:
                tally.unchanged += 1
        known[item.wp_id] = page.pk
        _remember(report, "page", item.wp_id, item.link, page)
    link_page_parents(report, using)


def _parents_first(items: list[PreparedPage]) -> list[PreparedPage]:
    """The pages with each one after its parent when both are here (a file may list a child first)."""
    here = {item.wp_id: item for item in items}
    ordered: dict[int, PreparedPage] = {}

    def place(item: PreparedPage, depth: int = 0) -> None:
        parent = here.get(item.parent)
        if parent is not None and parent.wp_id not in ordered and depth < Page.MAX_DEPTH:
            place(parent, depth + 1)  # a loop stops at the depth limit; _nestable refuses it
        ordered.setdefault(item.wp_id, item)

    for item in items:
        place(item)
    return list(ordered.values())


def _nestable(page: Page | None, parent_pk: int | None, using: str) -> int | None:
    """``parent_pk``, unless it would nest ``page`` in itself (a loop in the export): then top level."""
    if parent_pk is None or page is None:
        return parent_pk
    try:
        page.path_under(Page.objects.using(using).get(pk=parent_pk))
    except ValueError:
        return None
    return parent_pk


def link_page_parents(report, using: str) -> None:
    """Nest the pages whose WordPress parent was imported after them (later in the file, another cluster)."""
    manager = Page.objects.using(using)
    waiting = list(manager.filter(wordpress_parent_id__isnull=False, parent__isnull=True))
    parents = dict(manager.filter(wordpress_id__in={page.wordpress_parent_id for page in waiting})
                   .values_list("wordpress_id", "pk"))
    for page in waiting:
        parent_pk = _nestable(page, parents.get(page.wordpress_parent_id), using)
        if parent_pk is None:
            continue
        # Its top-level address (and its pages' below) was only a stand-in until the parent
        # came: no 301 from it (unless one was there before), or it would squat an address
        # the site never had.
        stand_ins = {f"/{path}/" for path in manager.filter(path__startswith=page.path + "/")
                     .values_list("path", flat=True)} | {page.get_absolute_url()}
        kept = set(OldUrl.objects.using(using).filter(path__in=stand_ins, query="").values_list("path", flat=True))
        page.parent_id = parent_pk
        page.save(using=using, update_fields=["parent"])
        OldUrl.objects.using(using).filter(path__in=stand_ins - kept, query="").delete()
        report.changed_pages.append(page.pk)


def purge_pages(page_ids: list[int], addresses: list[tuple[str, str]] = ()) -> None:
    """Purge the pages' own addresses, the lists of pages (footer, sitemap), and what the
    old addresses recorded answered before (a kept 404)."""
    from cachekeys.dependencies import instance_tag
    from cachekeys.purge import purge_tags

    tags = {instance_tag(Page, pk) for pk in page_ids}
    if addresses:
        tags |= redirects.purge_tags(addresses)
    try:
        from blog import pages as page_cache
    except ImportError:  # pragma: no cover
        page_cache = None
    if page_cache is not None:
        tags |= {page_cache.FOOTER_PAGES, page_cache.ALL_PAGES}
        tags |= {page_cache.page_address(path) for path in
                 Page.objects.filter(pk__in=page_ids).values_list("path", flat=True)}
    purge_tags(tags)


# -- photos another cluster imported -----------------------------------------------------------

def resolve_waiting_media(photos: PhotoMap, report, using: str) -> None:
    """Point the bodies and covers still waiting for photos at the ones imported by now."""
    for model, changed in ((Post, report.changed_ids), (Page, report.changed_pages)):
        waiting = 0
        for obj in model.objects.using(using).filter(wordpress_media_pending=True).iterator(chunk_size=BATCH):
            body, pending = photos.rewrite(obj.body)
            fields = {"body": body}
            if model is Post and obj.wordpress_cover_id and obj.cover_id is None:
                fields["cover_id"] = photos.images.get(obj.wordpress_cover_id)
                pending = pending or fields["cover_id"] is None and _is_known(obj.wordpress_cover_id, photos)
            fields["wordpress_media_pending"] = pending
            updates = [name for name, value in fields.items() if getattr(obj, name) != value]
            if updates:
                for name in updates:
                    setattr(obj, name, fields[name])
                obj.save(using=using, update_fields=updates)
                if obj.pk not in changed:
                    changed.append(obj.pk)
            waiting += pending
        report.media_waiting += waiting


# -- old addresses -----------------------------------------------------------------------------

def _remember(report, kind: str, wp_id: int, link: str, obj: Model) -> None:
    """Keep what ``record_old_addresses`` needs: the item's old link and its new object
    (for a photo, its file's URL: where WordPress's attachment pages now lead)."""
    report.written.append((kind, wp_id, link, obj.file.url if kind == "attachment" else obj.pk))


def record_old_addresses(report, scan, using: str, last: bool = False) -> None:
    """Record the old addresses of the items written since the last call (see
    ``blog.wordpress.redirects``); with ``last``, also the year archives and the site's.

    Called after each batch: the addresses wait for the purge in the import's index, on
    disk, not in memory.
    """
    changed = redirects.record(report.written, scan.site_url, using, scan=scan if last else None,
                               first_cluster=last and report.cluster.index == 1, years=scan.years)
    if last:
        changed += redirects.record_years(scan.years, using)
        scan.years.clear()
    report.redirects += len(changed)
    scan.index.add_addresses(changed)
    report.written.clear()
