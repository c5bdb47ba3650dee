"""The magazine's invalidation rules: which cached pages a change to its content reaches.

Pages are tagged automatically with every Post, Category, Tag and author they rendered
(``blog.post:12``, see ``cachekeys.dependencies``); the read queries (``blog.queries``)
add the list tags of ``blog.surrogates`` for the lists they show, so a post joining or
leaving a list reaches every page of that list. ``register()`` tells
``cachekeys.tracking`` how to compare a post (category, tag, author) before and after a
save, and fingerprints the shared lists (latest posts, popular tags, months, sections),
so they are purged only when what they show really changed.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from blog import queries, search
from blog.models import Category, Image, Post, Tag
from blog.redirects import old_address
from blog.surrogates import (
    ALL_CATEGORIES,
    ALL_POSTS,
    ALL_TAGS,
    ARCHIVE_MONTHS,
    LATEST_POSTS,
    NAV_CATEGORIES,
    POPULAR_TAGS,
    POSTS_MODIFIED,
    SHARED_LISTS,
    author_posts,
    category_posts,
    month_posts,
    post_page,
    tag_posts,
)
from cachekeys.conf import get_config
from cachekeys.dependencies import instance_tag, track
from cachekeys.purge import PurgeReport, purge_tags
from cachekeys.records import GONE
from cachekeys.tracking import tracker

# -- what a change reaches ---------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """What a post card, the sidebar or a neighbour link shows of a post."""

    published_at: datetime.datetime
    title: str
    slug: str
    excerpt: str
    reading_time: int
    category_id: int | None
    author_id: int
    cover_id: int | None = None


@dataclass(frozen=True)
class Membership:
    """Which lists a post is in, and where: a change here moves it between lists."""

    public: bool
    published_at: datetime.datetime
    category_chain: tuple[int, ...]
    author_id: int
    tag_ids: frozenset[int]
    sticky: bool = False  # sticky posts lead the home page


@dataclass(frozen=True)
class PostState:
    public: bool
    year_month: tuple[int, int]
    category_chain: tuple[int, ...]
    author_id: int
    tag_ids: frozenset[int]
    listing: Listing
    body_html: str
    scheduled_for: datetime.datetime | None = None  # published, but its date is still ahead
    sticky: bool = False
    wordpress_id: int | None = None  # /?p=ID answers 301 to it while it is public

    def lists(self) -> set[str]:
        return {
            ALL_POSTS, author_posts(self.author_id), month_posts(*self.year_month),
            *(category_posts(pk) for pk in self.category_chain),
            *(tag_posts(pk) for pk in self.tag_ids),
        }

    def membership(self) -> Membership:
        return Membership(self.public, self.listing.published_at, self.category_chain,
                          self.author_id, self.tag_ids, self.sticky)


def post_tags(pk: int, old: PostState | None, new: PostState | None) -> set[str]:
    """Return the tags of the pages a post's change from ``old`` to ``new`` reaches."""
    return _pages_reached(pk, old, new) | _wordpress_address(old, new)


def _wordpress_address(old: PostState | None, new: PostState | None) -> set[str]:
    """``/?p=ID``, the post imported with WordPress id ID (blog.redirects), while it is public."""
    ids = {state.wordpress_id for state in (old, new) if state is not None and state.wordpress_id}
    moved = (old is None or new is None or old.public != new.public or old.listing.slug != new.listing.slug
             or old.wordpress_id != new.wordpress_id)
    return {old_address("/", f"p={wordpress_id}") for wordpress_id in ids} if moved else set()


def _pages_reached(pk: int, old: PostState | None, new: PostState | None) -> set[str]:
    # Unpublished or deleted: no copy of a page that showed it may be served again.
    gone = {GONE} if old is not None and old.public and not (new is not None and new.public) else set()
    if _scheduled_within_page_life(old, new):
        # Pages stored now could outlive its publication (later ones are capped to it,
        # EXPIRY_CAP): purge now every page it will join, as though it were public, and
        # the shared lists it will be in, which no fingerprint sees change yet.
        joining = [state for state in (old, new) if state is not None and (state.public or state is new)]
        return _joined_or_left(pk, joining) | set(SHARED_LISTS) | gone
    shown = [state for state in (old, new) if state is not None and state.public]
    if not shown or old == new:
        return set()  # never visible, or nothing visible changed
    if (old and new and old.public and new.public and old.listing == new.listing
            and old.membership() == new.membership()):
        return {post_page(pk), POSTS_MODIFIED}  # only the body: the post's own page
    if old and new and old.membership() == new.membership():
        return {instance_tag(Post, pk), POSTS_MODIFIED}  # where it shows, not which lists
    return _joined_or_left(pk, shown) | gone


def _joined_or_left(pk: int, states: list[PostState]) -> set[str]:
    """Tags of the pages a post joining or leaving the lists of ``states`` reaches."""
    tags = {instance_tag(Post, pk), post_page(pk), POSTS_MODIFIED}
    for state in states:
        tags |= state.lists()
    tags |= {post_page(neighbour) for neighbour in _neighbour_ids(pk)}
    # Post pages among a section's newest show its related list without themselves: a
    # change to the section may move a page into that group (blog.fragments.related).
    return tags | _section_leader_pages({c for state in states for c in state.category_chain})


def _section_leader_pages(category_ids: Iterable[int]) -> set[str]:
    """The pages of the newest posts of each section (top-level category) among ``category_ids``."""
    roots = Category.objects.filter(pk__in=set(category_ids), parent__isnull=True)
    return {post_page(pk) for root in roots for pk in queries.section_leaders(root)}
def _scheduled_within_page_life(old: PostState | None, new: PostState | None) -> bool:
    if new is None or new.scheduled_for is None or (old and old.scheduled_for == new.scheduled_for):
        return False
    return new.scheduled_for - timezone.now() < datetime.timedelta(seconds=get_config().timeout)


@dataclass(frozen=True)
class CategoryState:
    name: str
    slug: str
    chain: tuple[int, ...]
    description: str


def category_tags(pk: int, old: CategoryState | None, new: CategoryState | None) -> set[str]:
    if old == new:
        return set()
    tags = {instance_tag(Category, pk)}
    if old is None or new is None or old.slug != new.slug:
        tags.add(ALL_CATEGORIES)
    if old is None or new is None or old.chain != new.chain:
        # Its posts join or leave the lists of the categories above it.
        for state in (old, new):
            tags |= {category_posts(c) for c in (state.chain if state else ())}
        tags |= _section_leader_pages(c for state in (old, new) if state for c in state.chain)
    return tags


@dataclass(frozen=True)
class NamedState:
    name: str
    slug: str


def tag_tags(pk: int, old: NamedState | None, new: NamedState | None) -> set[str]:
    if old == new:
        return set()
    tags = {instance_tag(Tag, pk)}
    if old is None or new is None or old.slug != new.slug:
        tags |= {ALL_TAGS, tag_posts(pk)}
    return tags


def author_tags(pk: int, old: NamedState | None, new: NamedState | None) -> set[str]:
    # Logins update last_login: only a change to the byline or the URL reaches pages.
    if old == new or old is None or new is None:
        return set()  # a new user shows nowhere yet; a deleted one's posts went with them
    tags = {instance_tag(get_user_model(), pk)}
    if old.slug != new.slug:
        tags.add(author_posts(pk))
    return tags


# -- reading states ------------------------------------------------------------------------
def post_state(pk: int) -> PostState | None:
    post = Post.objects.select_related("category").filter(pk=pk).first()
    if post is None:
        return None
    local = timezone.localtime(post.published_at)
    chain = listed_chain(post)
    return PostState(
        public=post.is_public,
        year_month=(local.year, local.month),
        category_chain=chain,
        author_id=post.author_id,
        tag_ids=frozenset(post.tags.values_list("pk", flat=True)),
        listing=Listing(post.published_at, post.title, post.slug, post.excerpt, post.reading_time,
                        post.category_id, post.author_id, post.cover_id),
        body_html=post.body_html,
        scheduled_for=post.published_at if post.is_scheduled else None,
        sticky=post.sticky,
        wordpress_id=post.wordpress_id,
    )


def listed_chain(post: Post) -> tuple[int, ...]:
    """The categories whose lists show ``post``: its primary and extra ones, with their parents."""
    categories = [post.category] if post.category else []
    categories += list(post.extra_categories.select_related("parent"))
    return tuple(dict.fromkeys(c.pk for category in categories for c in category.trail()))


def category_state(pk: int) -> CategoryState | None:
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        return None
    chain = tuple(c.pk for c in category.trail())
    return CategoryState(category.name, category.slug, chain, category.description)


def tag_state(pk: int) -> NamedState | None:
    tag = Tag.objects.filter(pk=pk).first()
    return NamedState(tag.name, tag.slug) if tag else None


def author_state(pk: int) -> NamedState | None:
    user = get_user_model().objects.filter(pk=pk).first()
    return NamedState(user.get_full_name(), user.get_username()) if user else None


def image_state(pk: int) -> tuple | None:
    image = Image.objects.filter(pk=pk).first()
    if image is None:
        return None
    return (image.file.name, image.alt_text, image.caption, image.credit, image.width, image.height)


def image_tags(pk: int, old: tuple | None, new: tuple | None) -> set[str]:
    """A photo replaced, re-captioned or deleted: every page that showed it (it tagged them)."""
    return set() if old == new else {instance_tag(Image, pk)}


def _neighbour_ids(pk: int) -> list[int]:
    post = Post.objects.filter(pk=pk).first()
    if post is None or not (post.is_public or post.is_scheduled):
        return []  # a scheduled post's are the pages it will link to once it appears
    return [neighbour.pk for neighbour in queries.adjacent_posts(post) if neighbour is not None]


def shared_list_fingerprints() -> dict[str, Callable[[], Hashable]]:
    """What each shared list shows, read with the same defaults the fragments use."""
    return {
        LATEST_POSTS: lambda: tuple(p.pk for p in queries.latest_posts()),
        POPULAR_TAGS: lambda: tuple((t.pk, t.post_count) for t in queries.popular_tags()),
        ARCHIVE_MONTHS: lambda: tuple(queries.archive_months()),
        NAV_CATEGORIES: lambda: tuple((c.pk, c.slug) for c in queries.nav_categories()),
    }


def register() -> None:
    """Tag pages with what they show, and purge them when it changes (from ``ready()``)."""
    User = get_user_model()
    track(Post, Category, Tag, User, Image)
    tracker.watch(Image, image_state, image_tags)
    tracker.watch(Post, post_state, post_tags,
                  m2m=[Post._meta.get_field("tags"), Post._meta.get_field("extra_categories")])
    tracker.watch(Category, category_state, category_tags)
    tracker.watch(Tag, tag_state, tag_tags)
    tracker.watch(User, author_state, author_tags)
    for tag, fingerprint in shared_list_fingerprints().items():
        tracker.watch_list(tag, fingerprint)


# -- the API for changes that bypass signals -------------------------------------------
CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


def purge_posts(post_ids: Iterable[int]) -> PurgeReport:
    """Purge every page that may show these posts, in one purge.

    For saves that fire no signals (``bulk_create``, raw SQL) and imports,
    whose old state is not known: every list the posts are in now, their pages and
    neighbours, and the sidebar lists (which many new posts usually change). A handful of
    queries whatever the number of posts, so an import of thousands stays cheap. The
    search index, which those saves bypassed too, is brought up to date first.
    """
    ids = sorted(set(post_ids))
    search.reindex(ids)  # the same saves bypassed the search index's signals too
    tags = {*SHARED_LISTS, POSTS_MODIFIED, ALL_POSTS, ALL_TAGS, ALL_CATEGORIES}
    tags |= {instance_tag(Post, pk) for pk in ids} | {post_page(pk) for pk in ids}
    tags |= _list_tags_of(ids) | {post_page(pk) for pk in _neighbours_of(ids)}
    return purge_tags(tags)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    return (ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK))


def _list_tags_of(ids: list[int]) -> set[str]:
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    tags: set[str] = set()
    roots: set[int] = set()
    for chunk in _chunks(ids):
        for category_id, author_id, published_at in Post.objects.filter(pk__in=chunk).values_list(
                "category_id", "author_id", "published_at"):
            local = timezone.localtime(published_at)
            tags |= {author_posts(author_id), month_posts(local.year, local.month)}
            chain = Category.lineage(parents, category_id)
            tags |= {category_posts(pk) for pk in chain}
            roots.update(chain[-1:])
        tag_ids = Post.tags.through.objects.filter(post_id__in=chunk).values_list("tag_id", flat=True)
        tags |= {tag_posts(pk) for pk in tag_ids}
        extra = Post.extra_categories.through.objects.filter(post_id__in=chunk).values_list(
            "category_id", flat=True)
        for category_id in set(extra):
            chain = Category.lineage(parents, category_id)
            tags |= {category_posts(pk) for pk in chain}
            roots.update(chain[-1:])
    return tags | _section_leader_pages(roots)


def _neighbours_of(ids: list[int]) -> set[int]:
    """The public posts just before and after each of ``ids``, from one ordered scan."""
    order = list(Post.objects.public().order_by("published_at", "pk").values_list("pk", flat=True))
    position = {pk: index for index, pk in enumerate(order)}
    wanted = {pk for pk in ids if pk in position}
    found: set[int] = set()
    for pk in wanted:
        index = position[pk]
        found |= {order[i] for i in (index - 1, index + 1) if 0 <= i < len(order)}
    return found - set(ids)


def seconds_until_next_publication() -> int | None:
    """The most a page may live now: until the next scheduled post appears (EXPIRY_CAP)."""
    upcoming = Post.objects.scheduled().values_list("published_at", flat=True).first()
    if upcoming is None:
        return None
    return max(1, int((upcoming - timezone.now()).total_seconds()) + 1)
