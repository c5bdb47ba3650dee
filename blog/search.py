"""Full-text search of published posts: SQLite's FTS5, or PostgreSQL's own full-text search.

One table, ``blog_post_search``, holds each post's searchable text (title, excerpt, body
as plain text, tag names, category names), written on every save (``reindex``): an FTS5
virtual table on SQLite (porter stemming, diacritics folded), a stored, weighted
``tsvector`` with a GIN index on PostgreSQL. Results are what a reader may see now
(published, date passed), ranked (bm25 / ``ts_rank``: title first, then tags,
category and excerpt, then body) and highlighted by the database around the words found.

Speed on a common word: a search counts and ranks only the newest ``MAX_RESULTS``
matches (the page then says "more than 1,000"), never all of them; on PostgreSQL the
plan is kept to the GIN index (see ``_PLANNER``), the table's rows narrow
(``TOAST_TUPLE_TARGET``), so finding those matches reads ids, not documents, and the
newest posts are searched first (``first_floor``, ``wider_floor``).

Queries are reduced to words before they reach either engine (``terms``), so no query
syntax of either ever comes from a reader: punctuation-only or empty queries have no
words and get a friendly page instead of an error. ``QuerySet.update()`` on posts, tags
and categories is kept current too (``cachekeys.tracking.rows_updated``); ``bulk_create``
and imports, which fire no signal, call ``reindex(ids)`` afterwards (``purge_posts`` does);
``./manage.py search_index`` rebuilds everything.
"""
from __future__ import annotations

import contextlib
import datetime
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from blog.html import plain_text

TABLE = "blog_post_search"
MAX_QUERY_LENGTH = 200  # characters: longer is not a search, it is a paste
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
# Highlight markers no text contains (Unicode private use): escaped text, then <mark>.
START, STOP = "\ue000", "\ue001"
SNIPPET_WORDS = 28
# A search shows at most this many posts: the newest matches (by id, the order posts were
# added), ranked. A word most posts hold then costs what 1,000 matches cost, not 30,000;
# the page says "more than 1,000" and asks for another word (as the big engines do).
MAX_RESULTS = 1000
# bm25 weights per column: title, excerpt, body, tags, category (and the unindexed date).
_BM25 = f"bm25({TABLE}, 10.0, 3.0, 1.0, 5.0, 4.0, 0.0)"
CHUNK = 500


class QueryProblem(ValueError):
    """A query that cannot be searched, with the sentence to show the reader."""


def terms(query: str) -> list[str]:
    """Return the words of a reader's query (lower-cased, at most MAX_TERMS), or raise QueryProblem."""
    query = query.strip()
    if not query:
        raise QueryProblem("Type a word or two to search the magazine.")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryProblem(f"That search is too long: use at most {MAX_QUERY_LENGTH} characters.")
    words = [word.lower() for word in _WORD.findall(query) if word.strip("_")]
    if not words:
        raise QueryProblem("Search for words: punctuation alone matches nothing.")
    return list(dict.fromkeys(words))[:MAX_TERMS]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# -- the index ------------------------------------------------------------------------
def create_table(schema_connection=None) -> None:
    """Create the index table for this database (from the migration)."""
    conn = schema_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"""
                CREATE TABLE IF NOT EXISTS {TABLE} (
                    post_id bigint PRIMARY KEY, title text NOT NULL, excerpt text NOT NULL,
                    body text NOT NULL, tags text NOT NULL, category text NOT NULL,
                    published_at timestamp with time zone NOT NULL, document tsvector NOT NULL)""")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING GIN (document)")
            narrow_rows(cursor)
        else:
            cursor.execute(f"""
                CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(
                    title, excerpt, body, tags, category, published_at UNINDEXED,
                    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '{FTS5_PREFIXES}')""")
            # ORDER BY rank is FTS5's fast path; the weights: title, excerpt, body, tags, category.
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 5.0, 4.0, 0.0)')")


# The last word of a query is also a prefix ("wor" finds "work", "world"): FTS5 keeps
# ready-made lists for prefixes of these lengths instead of merging every word's list
# at each search (a common prefix: 13 ms down to 4 at 30,000 posts; the index grows ~60%).
FTS5_PREFIXES = "2 3 4 5 6"
_COLUMNS = "title, excerpt, body, tags, category, published_at"


def add_prefixes(cursor) -> None:
    """SQLite: rebuild the FTS5 table with its prefix lists, keeping the rows (an FTS5 option is fixed at creation)."""
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_before")
    create_table(cursor.db)
    cursor.execute(f"INSERT INTO {TABLE} (rowid, {_COLUMNS}) SELECT rowid, {_COLUMNS} FROM {TABLE}_before")
    cursor.execute(f"DROP TABLE {TABLE}_before")


# A search reads the id and date of every match from the table's own rows: kept to a
# few dozen bytes (the tsvector and the texts moved to TOAST), 30,000 rows fit in ~600
# pages instead of ~5,000, and a word most posts hold reads ten times less.
TOAST_TUPLE_TARGET = 128


def narrow_rows(cursor) -> None:
    """PostgreSQL: keep the index rows narrow (rows written from now on, and the ones there)."""
    cursor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
    # Rewritten so the rule applies to the rows already there, compact (an UPDATE would
    # leave the table twice its size) and in id order, the order searches read matches in.
    cursor.execute(f"CLUSTER {TABLE} USING {TABLE}_pkey")


def add_eras(cursor) -> None:
    """PostgreSQL: the ``era`` column and the GIN index of (era, document) that replaces the document's own.

    btree_gin lets one GIN index hold a plain column beside the tsvector, so a search
    bounded to the newest eras intersects the two in the index (``first_floor``).
    """
    cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS era integer "
                   f"GENERATED ALWAYS AS (post_id / {ERA_POSTS}) STORED")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_era_document ON {TABLE} USING GIN (era, document)")
    cursor.execute(f"DROP INDEX IF EXISTS {TABLE}_document")
    cursor.execute(f"CLUSTER {TABLE} USING {TABLE}_pkey")  # the column's rewrite, compact again


def drop_table(schema_connection=None) -> None:
    conn = schema_connection or connection
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


@dataclass(frozen=True)
class Document:
    post_id: int
    title: str
    excerpt: str
    body: str
    tags: str
    category: str
    published_at: object


def documents(ids: list[int]) -> list[Document]:
    """Read what the index holds for these posts (a query per table, whatever their number)."""
    from blog.models import Category, Post

    # Only posts public now or scheduled are indexed (drafts leave it on save); a
    # scheduled one is found once its date has come, by the query's own date test.
    chosen = Post.objects.filter(pk__in=ids)
    posts = (chosen.public() | chosen.scheduled().order_by()).prefetch_related("tags", "extra_categories")
    names = {pk: (name, parent) for pk, name, parent in Category.objects.values_list("pk", "name", "parent_id")}
    parents = {pk: parent for pk, (_, parent) in names.items()}
    found = []
    for post in posts:
        # The primary category and every other one, each with the sections above it.
        filed = [post.category_id, *(c.pk for c in post.extra_categories.all())]
        trails = [pk for category in filed for pk in reversed(Category.lineage(parents, category))]
        categories = [names[pk][0] for pk in dict.fromkeys(trails)]
        found.append(Document(post.pk, post.title, plain_text(post.excerpt), _text_of(post.body_html),
                              " ".join(tag.name for tag in post.tags.all()), " ".join(categories),
                              post.published_at))
    return found


_ANY_TAG = re.compile(r"<[^>]*>")


def _text_of(body_html: str) -> str:
    """The words of a sanitised body, a space where each tag was (paragraphs stay apart)."""
    return " ".join(html.unescape(_ANY_TAG.sub(" ", body_html)).split())


def reindex(post_ids: Iterable[int]) -> None:
    """Write the index rows of these posts again (deleted posts lose theirs)."""
    ids = sorted(set(post_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = documents(chunk)
        with transaction.atomic(), connection.cursor() as cursor:
            marks = ",".join(["%s"] * len(chunk))
            column = "post_id" if is_postgresql() else "rowid"
            cursor.execute(f"DELETE FROM {TABLE} WHERE {column} IN ({marks})", chunk)
            if not rows:
                continue
            values = [(d.post_id, d.title, d.excerpt, d.body, d.tags, d.category) for d in rows]
            if is_postgresql():
                cursor.executemany(f"""
                    INSERT INTO {TABLE} (post_id, title, excerpt, body, tags, category, published_at, document)
                    VALUES (%s, %s, %s, %s, %s, %s, %s,
                        setweight(to_tsvector('english', %s), 'A') ||
                        setweight(to_tsvector('english', %s || ' ' || %s), 'B') ||
                        setweight(to_tsvector('english', %s), 'B') ||
                        setweight(to_tsvector('english', %s), 'C'))""",
                    [(*v, d.published_at, v[1], v[4], v[5], v[2], v[3]) for v, d in zip(values, rows)])
            else:
                # FTS5 stores the date as text: ISO 8601 in UTC compares in time order.
                cursor.executemany(
                    f"INSERT INTO {TABLE} (rowid, title, excerpt, body, tags, category, published_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(*v, _utc_text(d.published_at)) for v, d in zip(values, rows)])


def _utc_text(moment) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def rebuild(progress=None) -> int:
    """Index every post again from scratch; return how many."""
    from blog.models import Post

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        reindex(ids[start:start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(ids)))
    return len(ids)


# -- searching ------------------------------------------------------------------------
@dataclass
class Hit:
    post_id: int
    title: str  # HTML: escaped, with <mark> around the words found
    snippet: str


@dataclass
class Results:
    total: int  # matches shown, at most MAX_RESULTS
    hits: list[Hit]
    more: bool = False  # more posts match than MAX_RESULTS: the reader should narrow the search


def search(words: list[str], offset: int, limit: int) -> Results:
    """Return the public posts matching every word, best first, ``limit`` from ``offset``.

    Only the newest MAX_RESULTS matches are counted and ranked: the cost of a search is
    bounded by that, not by how many posts hold a common word.
    """
    run = _search_postgresql if is_postgresql() else _search_sqlite
    return run(words, offset, limit, timezone.now())


def _fts5_query(words: list[str]) -> str:
    # Each word quoted (so no FTS5 syntax), the last also as a prefix: "fin" finds "final".
    quoted = [f'"{word}"' for word in words]
    quoted[-1] = f"{quoted[-1]}*"  # the prefix is stemmed too, and matches the word itself
    return " AND ".join(quoted)


def _search_sqlite(words: list[str], offset: int, limit: int, now) -> Results:
    match = _fts5_query(words)
    # Everything from the index alone (no join, no stored column read per match): the
    # index holds public and scheduled posts, and the few scheduled ones are left out by id.
    hidden = _scheduled_ids(now)
    where = f"{TABLE} MATCH %s" + (f" AND rowid NOT IN ({','.join(map(str, hidden))})" if hidden else "")
    with connection.cursor() as cursor:
        # FTS5 walks its doclists newest rowid first without ranking: the match just past
        # MAX_RESULTS says whether there are more, and bounds the ranked set.
        cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {where} ORDER BY rowid DESC LIMIT 1 OFFSET %s",
                       [match, MAX_RESULTS])
        past = cursor.fetchone()
        if past:
            total, newest = MAX_RESULTS, f" AND rowid > {int(past[0])}"
        else:
            cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", [match])
            total, newest = cursor.fetchone()[0], ""
        if offset >= total:
            return Results(total, [], bool(past))
        # bm25() by name, not "rank": FTS5 then ranks only the rows the rowid bound keeps.
        cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {where}{newest} ORDER BY {_BM25}, rowid DESC LIMIT %s OFFSET %s",
                       [match, min(limit, total - offset), offset])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return Results(total, [], bool(past))
        # Highlights only for the page's posts (computed for every ranked row, they cost more than the ranking).
        cursor.execute(
            f"SELECT rowid, highlight({TABLE}, 0, %s, %s), snippet({TABLE}, 2, %s, %s, '…', {SNIPPET_WORDS}), "
            f"highlight({TABLE}, 1, %s, %s) FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid IN ({','.join(map(str, ids))})",
            [*[START, STOP] * 3, match])
        lit = {pk: (title, body, excerpt) for pk, title, body, excerpt in cursor.fetchall()}
    return Results(total, _hits(ids, lit), bool(past))


def _hits(ids: list[int], lit: dict[int, tuple[str, str, str]]) -> list[Hit]:
    """The page's hits in rank order from ``{id: (title, body passage, excerpt)}`` as the database marked them."""
    return [Hit(pk, marked(lit[pk][0]), marked(_best(lit[pk][1], lit[pk][2]))) for pk in ids if pk in lit]


def _scheduled_ids(now) -> list[int]:
    from blog.models import Post

    return list(Post.objects.scheduled().filter(published_at__gt=now).order_by().values_list("pk", flat=True))


def _tsquery(words: list[str]) -> str:
    # Words only reach to_tsquery as quoted lexemes: '"word"' and a prefix match on the last.
    parts = [f"'{word}'" for word in words]
    parts[-1] = f"{parts[-1]}:*"
    return " & ".join(parts)


# The planner prices ``@@`` as if it cost nothing and picks a sequential scan (or a walk of
# the primary key) for a common word, reading and decompressing every post's tsvector:
# hundreds of ms. The GIN index answers ``@@`` alone, without reading a document, so only
# bitmap scans are allowed for a search (inside its own transaction).
_PLANNER = ("enable_seqscan", "enable_indexscan", "max_parallel_workers_per_gather")

# Posts fall in eras of ERA_POSTS ids (the generated column ``era``, indexed with the
# document by one GIN index, btree_gin). A search looks for its newest matches among the
# newest FIRST_WINDOW_ERAS eras first, and widens the window only as far as the matches
# it found there say it must: a word most posts hold finds its MAX_RESULTS + 1 in the
# first window and never visits the 30,000 index rows it is in (at 30,000 posts: 4 ms
# instead of 20); a rarer one goes back as far as its matches are spread.
ERA_POSTS = 1000
FIRST_WINDOW_ERAS = 4
WIDENING_SLACK = 1.25  # the next window aims at this many times the matches needed


def first_floor(newest_id: int) -> int | None:
    """The lowest era of the first window a search tries; None stands for every post."""
    floor = newest_id // ERA_POSTS - FIRST_WINDOW_ERAS + 1
    return floor if floor > 0 else None


def wider_floor(newest_id: int, floor: int, found: int) -> int | None:
    """The lowest era of the next window, from the ``found`` (too few) matches from era ``floor`` on."""
    if found == 0:  # no measure of how the matches are spread: everywhere
        return None
    spanned = newest_id - floor * ERA_POSTS + 1
    wanted = spanned * (MAX_RESULTS + 1) / found * WIDENING_SLACK
    wider = min(int((newest_id - wanted) // ERA_POSTS), floor - 1)
    return wider if wider > 0 else None


def _search_postgresql(words: list[str], offset: int, limit: int, now) -> Results:
    query = _tsquery(words)
    nested = connection.in_atomic_block  # else the search's own transaction ends the settings
    with transaction.atomic(), connection.cursor() as cursor, _bitmap_scans_only(cursor, nested) as newest_id:
        newest = _newest_matches(cursor, query, now, newest_id)
        kept = newest[:MAX_RESULTS]
        found = _ranked_page(cursor, query, kept, offset, limit) if offset < len(kept) else []
    lit = {pk: (title, body, excerpt) for pk, title, body, excerpt in found}
    return Results(len(kept), _hits([row[0] for row in found], lit), len(newest) > MAX_RESULTS)


@contextlib.contextmanager
def _bitmap_scans_only(cursor, nested: bool) -> Iterator[int]:
    """Hold the planner to bitmap scans (``_PLANNER``) for the block; give the newest id indexed.

    Both in one statement: the id is planned (an index's last entry) before the settings
    take effect. A search inside a longer transaction leaves the settings as they were.
    """
    if nested:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in _PLANNER))
        before = cursor.fetchone()
    cursor.execute(f"SELECT (SELECT coalesce(max(post_id), 0) FROM {TABLE}), "
                   + ", ".join(f"set_config('{name}', '0', true)" for name in _PLANNER))
    yield cursor.fetchone()[0]
    if nested:
        cursor.execute("SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in _PLANNER), before)


def _newest_matches(cursor, query: str, now, newest_id: int) -> list[int]:
    """The ids of the newest MAX_RESULTS + 1 matches, newest first, window after window.

    Only ids are read and sorted (from the narrow rows the index names), never a document;
    the match past MAX_RESULTS says whether there are more. A window that holds
    MAX_RESULTS + 1 matches holds the newest ones: everything outside it is older.
    """
    floor = first_floor(newest_id)
    while True:
        window = "" if floor is None else f" AND s.era >= {int(floor)}"
        cursor.execute(
            f"""SELECT s.post_id FROM {TABLE} s
                WHERE s.document @@ to_tsquery('english', %s) AND s.published_at <= %s{window}
                ORDER BY s.post_id DESC LIMIT %s""", [query, now, MAX_RESULTS + 1])
        newest = [row[0] for row in cursor.fetchall()]
        if len(newest) > MAX_RESULTS or floor is None:
            return newest
        floor = wider_floor(newest_id, floor, len(newest))


def _ranked_page(cursor, query: str, kept: list[int], offset: int, limit: int) -> list[tuple]:
    """The page's (id, title, body passage, excerpt) rows, best first, the words marked.

    Only the kept posts are ranked (ts_rank reads just their documents; ts_rank_cd, which
    weighs how near the words are, costs three times as much), and only the page's get
    headlines (ts_headline parses each text again).
    """
    options = f"StartSel={START}, StopSel={STOP}"
    cursor.execute(
        f"""WITH ranked AS (
                SELECT d.post_id, ts_rank(d.document, q) AS score FROM {TABLE} d, to_tsquery('english', %s) q
                WHERE d.post_id = ANY(%s::bigint[]) ORDER BY score DESC, d.post_id DESC LIMIT %s OFFSET %s)
            SELECT s.post_id, ts_headline('english', s.title, q, %s),
                   ts_headline('english', s.body, q, %s), ts_headline('english', s.excerpt, q, %s)
            FROM ranked JOIN {TABLE} s ON s.post_id = ranked.post_id, to_tsquery('english', %s) q
            ORDER BY ranked.score DESC, ranked.post_id DESC""",
        [query, _id_array(kept), limit, offset, options + ", HighlightAll=true",
         options + f", MaxWords={SNIPPET_WORDS}, MinWords=12, MaxFragments=1, FragmentDelimiter=…",
         options + ", HighlightAll=true", query])
    return cursor.fetchall()


def _id_array(ids: list[int]) -> str:
    # An array literal written at once: psycopg adapts a list of 1,000 ints element by element (~1 ms).
    return "{" + ",".join(map(str, ids)) + "}"


def _best(body: str, excerpt: str) -> str:
    """The body's passage around the words, else the excerpt (the words were in the title or tags)."""
    return body if START in body else excerpt


def marked(text: str) -> str:
    """Escape ``text`` for HTML and turn the database's markers into <mark> elements."""
    escaped = html.escape(text)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


# -- keeping it current ---------------------------------------------------------------
def _post_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        reindex([instance.pk])


def _post_deleted(sender, instance, **kwargs) -> None:
    reindex([instance.pk])


# A reverse clear (``tag.posts.clear()``) names no posts: the ones it is about to leave
# are read before it (pre_clear), kept on the instance the signals share, and reindexed
# after it (post_clear).
_CLEARING = "_search_posts_clearing"


def affected_posts(action: str, reverse: bool, instance, pk_set, through, field: str) -> list[int] | None:
    """The ids of the posts an m2m change of ``Post.<field>`` alters, or None when it alters none yet.

    Forward (``post.tags.add(...)``): the post itself. Reverse (``tag.posts.add(...)``,
    ``category.extra_posts.remove(...)``): the posts named, or on a clear every post
    that carried the tag or category, read before the clear.
    """
    if action == "pre_clear" and reverse:
        setattr(instance, _CLEARING, list(through.objects.filter(**{f"{_other_end(field)}_id": instance.pk})
                                          .values_list("post_id", flat=True)))
        return None
    if action not in ("post_add", "post_remove", "post_clear"):
        return None
    if not reverse:
        return [instance.pk]
    if action == "post_clear":
        return instance.__dict__.pop(_CLEARING, [])
    return list(pk_set or [])


def _other_end(field: str) -> str:
    from blog.models import Post

    return Post._meta.get_field(field).m2m_reverse_field_name()


def _relation_changed(field: str):
    def changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
        ids = affected_posts(action, reverse, instance, pk_set, sender, field)
        if ids:
            reindex(ids)
    return changed


_tags_changed = _relation_changed("tags")
_extra_categories_changed = _relation_changed("extra_categories")


def posts_labelled(instance) -> list[int]:
    """The posts a tag or category names in their index rows (categories: at any depth below)."""
    from blog.models import Post, Tag
    from blog.queries import descendant_ids

    if isinstance(instance, Tag):
        ids = Post.objects.filter(tags=instance).values_list("pk", flat=True)
    else:
        below = descendant_ids(instance)
        ids = (Post.objects.filter(category__in=below) | Post.objects.filter(extra_categories__in=below)) \
            .values_list("pk", flat=True)
    return sorted(set(ids))


def _name_changed(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    """A renamed tag or category: the posts carrying it."""
    if not (created or raw):
        reindex(posts_labelled(instance))


# A deleted tag or category leaves its posts without firing any m2m signal (the links go
# by cascade, the primary category by SET NULL): the posts are read before, reindexed after.
_DELETING = "_search_posts_deleting"


def _label_deleting(sender, instance, **kwargs) -> None:
    setattr(instance, _DELETING, posts_labelled(instance))


def _label_deleted(sender, instance, **kwargs) -> None:
    # After the cascade and SET NULL have run (Django's collector sends post_delete last).
    reindex(instance.__dict__.pop(_DELETING, []))


def _posts_updated(sender, pks, **kwargs) -> None:
    """``Post.objects.filter(...).update(...)``, ``category.posts.clear()``: those posts."""
    reindex(pks)


def _labels_updated(sender, pks, **kwargs) -> None:
    """``Tag.objects.filter(...).update(name=...)``: the posts carrying them."""
    reindex({pk for label in sender.objects.filter(pk__in=pks) for pk in posts_labelled(label)})


def register() -> None:
    """Keep the index current on every save that sends signals (from ``ready()``)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from blog.models import Category, Post, Tag
    from cachekeys.tracking import rows_updated

    post_save.connect(_post_saved, sender=Post, dispatch_uid="blog-search-post")
    rows_updated.connect(_posts_updated, sender=Post, dispatch_uid="blog-search-post-update")
    post_delete.connect(_post_deleted, sender=Post, dispatch_uid="blog-search-post-delete")
    m2m_changed.connect(_tags_changed, sender=Post.tags.through, dispatch_uid="blog-search-tags")
    m2m_changed.connect(_extra_categories_changed, sender=Post.extra_categories.through,
                        dispatch_uid="blog-search-extra-categories")
    for label in (Tag, Category):
        uid = f"blog-search-{label._meta.model_name}"
        post_save.connect(_name_changed, sender=label, dispatch_uid=uid)
        rows_updated.connect(_labels_updated, sender=label, dispatch_uid=f"{uid}-update")
        pre_delete.connect(_label_deleting, sender=label, dispatch_uid=uid)
        post_delete.connect(_label_deleted, sender=label, dispatch_uid=uid)
