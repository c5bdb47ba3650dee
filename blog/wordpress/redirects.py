"""Every address of the old WordPress site, recorded as an ``OldUrl`` that answers 301.

The rows are ``blog.redirects``' (helper "keys"): an old path and query and their target,
answered by its middleware on a 404 and stored in the cache like a page. The import
records, for what it wrote:

- each post, page and attachment's permalink as the export's ``<link>`` gives it
  (whatever permalink structure the old site used), and its ``feed/`` under it;
- ``?p=ID`` (pages and attachments; posts have a rule), ``?page_id=ID`` and
  ``?attachment_id=ID``; an attachment leads to its photo's file, as WordPress 6.4 does;
- once, from the first cluster: category (with their parents in the path), tag and
  author archives with their feeds, ``?cat=``, ``?tag=``, ``?author=``, the site's feeds
  (``/feed/rss2/``, ``/feed/atom/``, ``/comments/feed/``, ``?feed=rss2``);
- the date archives of the posts written (``/2024/``, ``/2024/01/``, ``/2024/01/07/``).

Rows are upserted, so a re-import adds none and re-points the ones whose target moved.
A target that is not public (a draft, a protected post) makes ``blog.redirects`` answer
404, never a 301 to it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from blog.wordpress.slugs import term_slug
from cachekeys.canonical import canonical_query

CHUNK = 400
MAX_PATH = 500


def available() -> bool:
    """Whether the site has the old-URL model (``blog.models.OldUrl``)."""
    from blog import models

    return hasattr(models, "OldUrl")


@dataclass(frozen=True)
class Target:
    model: type | None
    pk: int | None
    url: str = ""


def split(url: str, base_path: str = "") -> tuple[str, str] | None:
    """An old URL as (decoded path, canonical query); None if it is not one of the site's."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", ""):
        return None
    path = unquote(parts.path) or "/"
    if not path.startswith("/") or len(path) > MAX_PATH:
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    return path, canonical_query(query, [name for name, _ in pairs])[:MAX_PATH]


def record(written: list[tuple], site_url: str, using: str, *, scan=None,
           first_cluster: bool = False, years: dict | None = None) -> list[tuple[str, str]]:
    """Record the old addresses of ``written`` items (and, once, the site's).

    Return the addresses created or re-pointed: what they answered before (a 404 kept
    by the cache) must be purged. A caller recording its items a batch at a time passes
    ``years``: the year archives (which lead to the newest month of any batch) are
    gathered there instead, for one ``record_years`` at the end.
    """
    if not available():
        return []
    from blog.models import Page, Post

    models = {"post": Post, "page": Page}
    base = urlsplit(site_url).path.rstrip("/")
    rows: dict[tuple[str, str], Target] = {}
    for kind, wp_id, link, pk in written:
        # An attachment's page now leads to its photo's file (``pk`` is its URL then).
        target = Target(None, None, pk) if kind == "attachment" else Target(models[kind], pk)
        for address in _item_addresses(kind, wp_id, link, base):
            rows.setdefault(address, target)
    if written:
        rows.update(_date_archives([pk for kind, _, _, pk in written if kind == "post"], base, using, years))
    if first_cluster and scan is not None:
        rows.update(site_addresses(scan, base, using))
    return _upsert(rows, using)


def _item_addresses(kind: str, wp_id: int, link: str, base: str) -> Iterable[tuple[str, str]]:
    old = split(link) if link else None
    if old is not None and old != ("/", ""):
        yield old
        if not old[1]:
            yield (old[0].rstrip("/") + "/feed/", "")
    if kind == "page":
        yield base + "/", f"page_id={wp_id}"
    if kind == "attachment":
        yield base + "/", f"attachment_id={wp_id}"
    if kind != "post":  # posts' ?p= is blog.redirects' rule
        yield base + "/", f"p={wp_id}"


def record_years(years: dict[tuple[str, str], Target], using: str) -> list[tuple[str, str]]:
    """Record the year archives ``record(..., years=)`` gathered; return those changed."""
    return _upsert(years, using) if available() else []


def _date_archives(post_ids: list[int], base: str, using: str,
                   years: dict | None = None) -> dict[tuple[str, str], Target]:
    """``/YYYY/``, ``/YYYY/MM/`` and ``/YYYY/MM/DD/`` of the public posts written (the
    years into ``years`` instead, if given)."""
    from blog.models import Post

    rows: dict[tuple[str, str], Target] = {}
    years = rows if years is None else years
    for start in range(0, len(post_ids), CHUNK):
        posts = Post.objects.using(using).public().filter(pk__in=post_ids[start:start + CHUNK])
        for published in posts.values_list("published_at", flat=True):
            day = timezone.localtime(published)
            month = Target(None, None, reverse("blog:archive", kwargs={"year": day.year, "month": day.month}))
            for path in (f"{base}/{day.year:04d}/{day.month:02d}/", f"{base}/{day.year:04d}/{day.month:02d}/{day.day:02d}/"):
                rows[(path, "")] = month
            year = (f"{base}/{day.year:04d}/", "")
            # The year's newest month with posts: the closest page there is to a year archive.
            if year not in years or years[year].url < month.url:
                years[year] = month
    return rows


def site_addresses(scan, base: str, using: str) -> dict[tuple[str, str], Target]:
    """Category, tag and author archives, their feeds and query forms, and the site's feeds."""
    from blog.models import Category, Tag

    feed = Target(None, None, reverse("blog:feed"))
    rows: dict[tuple[str, str], Target] = {}
    for path in ("/feed/rss2/", "/feed/rss/", "/feed/atom/", "/feed/rdf/", "/rss/", "/rss2/", "/atom/",
                 "/comments/feed/"):
        rows[(base + path, "")] = feed
    for value in ("rss2", "rss", "atom", "rdf", "comments-rss2"):
        rows[(base + "/", f"feed={value}")] = feed
    for nicename, term, target in _terms(Category, scan.categories, using):
        trail = _category_path(nicename, scan.categories)
        for path in {f"{base}/category/{trail}/", f"{base}/category/{unquote(nicename)}/"}:
            rows[(path, "")] = target
            rows[(path + "feed/", "")] = target
        if term.term_id:
            rows[(base + "/", f"cat={term.term_id}")] = target
    for nicename, term, target in _terms(Tag, scan.tags, using):
        rows[(f"{base}/tag/{unquote(nicename)}/", "")] = target
        rows[(f"{base}/tag/{unquote(nicename)}/feed/", "")] = target
        rows[(base + "/", split(f"?tag={nicename}")[1])] = target
    User = get_user_model()
    users = dict(User.objects.using(using).filter(
        username__in=list(scan.authors)).values_list("username", "pk"))
    for login, author in scan.authors.items():
        if login not in users:
            continue
        target = Target(None, None, reverse("blog:author", kwargs={"username": login}))
        rows[(f"{base}/author/{login}/feed/", "")] = target
        if getattr(author, "wp_id", None):
            rows[(base + "/", f"author={author.wp_id}")] = target
    # Where the old site's address is the new one (/category/x/ with the same slug), the
    # page itself answers first: the row is never used, and harmless.
    return {address: target for address, target in rows.items() if len(address[0]) <= MAX_PATH}


def _terms(model, terms: dict, using: str):
    """Yield (nicename, term, target) for each of the export's terms the site has."""
    pks = dict(model.objects.using(using).filter(
        slug__in=[term_slug(term) for term in terms.values()]).values_list("slug", "pk"))
    for nicename, term in terms.items():
        pk = pks.get(term_slug(term))
        if pk is not None:
            yield nicename, term, Target(model, pk)


def _category_path(nicename: str, categories: dict) -> str:
    """WordPress's ``/category/parent/child/``: the nicenames from the root down."""
    parts, seen, current = [], set(), nicename
    while current and current in categories and current not in seen:
        seen.add(current)
        parts.insert(0, unquote(current))
        current = categories[current].parent
    return "/".join(parts)


def _upsert(rows: dict[tuple[str, str], Target], using: str) -> list[tuple[str, str]]:
    from blog.models import OldUrl

    changed: list[tuple[str, str]] = []
    if not rows:
        return changed
    types: dict[type, int] = {}

    def fields(target: Target) -> dict:
        if target.model is None:
            return {"target_type_id": None, "target_id": None, "url": target.url}
        if target.model not in types:
            types[target.model] = ContentType.objects.db_manager(using).get_for_model(target.model).pk
        return {"target_type_id": types[target.model], "target_id": target.pk, "url": ""}

    addresses = list(rows)
    manager = OldUrl.objects.using(using)
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start:start + CHUNK]
        # By path and query: by path alone, every chunk would read all the "/?p=ID" rows
        # of the site (one path, a query each), a read and a memory peak growing with it.
        existing = {(row.path, row.query): row for row in
                    manager.filter(path__in={path for path, _ in chunk}, query__in={query for _, query in chunk})}
        new = []
        for address in chunk:
            wanted = fields(rows[address])
            row = existing.get(address)
            if row is None:
                new.append(OldUrl(path=address[0], query=address[1], **wanted))
                changed.append(address)
            elif any(getattr(row, name) != value for name, value in wanted.items()):
                manager.filter(pk=row.pk).update(**wanted)
                changed.append(address)
        manager.bulk_create(new, ignore_conflicts=True)  # another cluster may record the same one
    return changed


def purge_tags(rows: Iterable[tuple[str, str]]) -> set[str]:
    """The cache tags of these addresses (what they answered before, a 404 perhaps)."""
    from blog.redirects import old_address

    return {old_address(path, query) for path, query in rows}
