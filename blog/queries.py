"""Read-side queries for the readers' site: every one starts from ``Post.objects.public()``.

Views, template tags, the feed and the sitemap ask here, so "what a reader may see" is
decided in one module and nothing renders a draft or a post scheduled for later. Each
list also declares its surrogate key (``blog.surrogates``), so the page showing it is
purged when a post joins or leaves the list.
"""
from __future__ import annotations

import datetime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from blog import surrogates
from blog.models import Category, Comment, Post, PostQuerySet, Tag
from cachekeys.canonical import declare_canonical
from cachekeys.dependencies import depends_on


def public_posts() -> PostQuerySet:
    """Return the public posts, newest first, with what a post card shows joined in.

    ``comment_count`` is the approved comments a card counts (approving one purges the
    pages showing the post: ``blog.comments.comment_tags``).
    """
    return _card_fields(Post.objects.public())


def _card_fields(posts: PostQuerySet) -> PostQuerySet:
    approved = (Comment.objects.filter(post=OuterRef("pk"), status=Comment.Status.APPROVED)
                .order_by().values("post").annotate(n=Count("pk")).values("n"))
    return posts.select_related("author", "category", "cover").annotate(comment_count=Coalesce(Subquery(approved), 0))


# How many items each shared list shows: the sidebar and the fingerprint that decides
# whether a list changed both call the functions below with these defaults, so what is
# shown and what is compared cannot drift apart.
LATEST_SHOWN = 5
POPULAR_TAGS_SHOWN = 15
MONTHS_SHOWN = 12
RELATED_SHOWN = 3  # "More from <section>" under a post


def home_posts() -> PostQuerySet:
    """Return every public post, newest first: the home page and its pages."""
    depends_on(surrogates.ALL_POSTS)
    return public_posts()


STICKY_SHOWN = 10


def sticky_posts(limit: int = STICKY_SHOWN) -> list[Post]:
    """Return the public sticky posts, newest first: featured at the top of the home page."""
    depends_on(surrogates.ALL_POSTS)  # a post made sticky or not purges the lists it is in
    return list(public_posts().filter(sticky=True)[:limit])


def feed_posts(limit: int) -> list[Post]:
    """Return the ``limit`` newest public posts with their tags, for the feed."""
    depends_on(surrogates.ALL_POSTS, surrogates.POSTS_MODIFIED)  # which posts, and their updated dates
    return list(public_posts().prefetch_related("tags")[:limit])


def sitemap_posts() -> PostQuerySet:
    """Return every public post with what the sitemap prints (address, last change)."""
    depends_on(surrogates.ALL_POSTS, surrogates.POSTS_MODIFIED)  # membership and lastmod
    # Ordered by pk so the sitemap's own pagination (?p=) never shifts between requests.
    return Post.objects.public().only("slug", "updated_at").order_by("pk")


def public_posts_among(ids: list[int]) -> dict[int, Post]:
    """Return those of ``ids`` that are public, by id, with what a card shows (search results).

    Fetched by id and checked with ``Post.is_public``: with ``public()``'s filters in the
    query, SQLite walks the (status, published_at) index over every published post
    instead of looking ten ids up.
    """
    if not ids:  # an empty page (no match): building the query alone costs a few ms
        return {}
    found = _card_fields(Post.objects.filter(pk__in=ids))
    return {post.pk: post for post in found if post.is_public}


def public_post(slug: str) -> Post | None:
    """Return the public post at ``slug``, with its category trail and tags, or None."""
    posts = public_posts().select_related("category__parent").prefetch_related("tags")
    return posts.filter(slug=slug).first()


def public_post_by_id(pk: int) -> PostQuerySet:
    """Return the public post ``pk`` as a query (empty when there is none): the API's detail."""
    depends_on(surrogates.post_page(pk))  # the body: an edit to it purges only these
    return public_posts().filter(pk=pk)


def filtered_posts(category: str | None = None, tag: str | None = None) -> PostQuerySet:
    """Return the public posts under the category and carrying the tag with these slugs.

    A slug naming nothing matches no post; the answer then depends on the list of all
    categories (or tags), so creating one with that slug reaches it.
    """
    if category is None and tag is None:
        return home_posts()
    posts = public_posts()
    if category is not None:
        found = Category.objects.filter(slug=category).first()
        if found is None:
            depends_on(surrogates.ALL_CATEGORIES)
            declare_canonical(None)  # a filter naming nothing: one item per junk slug otherwise
            return posts.none()
        posts = posts_in_category(found)
    if tag is not None:
        found_tag = Tag.objects.filter(slug=tag).first()
        if found_tag is None:
            depends_on(surrogates.ALL_TAGS)
            declare_canonical(None)
            return posts.none()
        posts = posts_with_tag(found_tag, among=posts)
    return posts


def category_at(slug: str) -> Category | None:
    """Return the category at ``slug`` with its parent joined in, or None."""
    return Category.objects.select_related("parent").filter(slug=slug).first()


def subcategories(parent: Category) -> QuerySet:
    """Return the categories directly below ``parent``, by name."""
    # A category created or moved under it reaches category_posts(parent) (blog.invalidation).
    depends_on(surrogates.category_posts(parent.pk))
    return parent.children.order_by("name")


def all_categories() -> QuerySet:
    """Return every category, the API's list of sections (each has a page, posts or not)."""
    depends_on(surrogates.ALL_CATEGORIES)
    return Category.objects.all()


def tag_at(slug: str) -> Tag | None:
    """Return the tag at ``slug``, or None."""
    return Tag.objects.filter(slug=slug).first()


def latest_posts(limit: int = LATEST_SHOWN) -> list[Post]:
    """Return the ``limit`` newest public posts."""
    depends_on(surrogates.LATEST_POSTS)
    # Only what the sidebar shows: a joined category or author would tag every page with
    # it, and renaming one would purge pages that never print its name.
    return list(Post.objects.public().only("title", "slug", "published_at")[:limit])


def popular_tags(limit: int = POPULAR_TAGS_SHOWN) -> list[Tag]:
    """Return the tags on most public posts, each with a ``post_count``; unused tags are left out."""
    depends_on(surrogates.POPULAR_TAGS)
    counted = Tag.objects.annotate(
        post_count=Count("posts", filter=Q(posts__in=Post.objects.public().values("pk")))
    )
    return list(counted.filter(post_count__gt=0).order_by("-post_count", "name")[:limit])


def nav_categories() -> list[Category]:
    """Return the top-level categories, the ones the masthead's navigation links to."""
    depends_on(surrogates.NAV_CATEGORIES)
    return list(Category.objects.filter(parent__isnull=True).order_by("name"))


def archive_months(limit: int = MONTHS_SHOWN) -> list[datetime.date]:
    """Return the first day of each month holding public posts, newest month first."""
    depends_on(surrogates.ARCHIVE_MONTHS)
    months = Post.objects.public().dates("published_at", "month", order="DESC")
    return list(months[:limit])


def descendant_ids(category: Category) -> set[int]:
    """Return the ids of ``category`` and every category below it, at any depth."""
    children: dict[int, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, frontier = {category.pk}, [category.pk]
    while frontier:
        # ``found`` doubles as the visited set, so a parent cycle cannot loop forever.
        fresh = [pk for pk in children.get(frontier.pop(), []) if pk not in found]
        found.update(fresh)
        frontier.extend(fresh)
    return found


def posts_in_category(category: Category) -> PostQuerySet:
    """Return the public posts filed under ``category`` or any of its subcategories."""
    depends_on(surrogates.category_posts(category.pk))
    return _filed_under(category)


def _filed_under(category: Category) -> PostQuerySet:
    ids = descendant_ids(category)
    # Its primary category or any other one it is filed under (WordPress's extra categories).
    also_in = Post.extra_categories.through.objects.filter(category_id__in=ids).values("post_id")
    return public_posts().filter(Q(category_id__in=ids) | Q(pk__in=also_in))


def posts_with_tag(tag: Tag, among: PostQuerySet | None = None) -> PostQuerySet:
    """Return the public posts (of ``among``, by default all) carrying ``tag``."""
    depends_on(surrogates.tag_posts(tag.pk))
    return (public_posts() if among is None else among).filter(tags=tag)


def posts_by_author(author: AbstractBaseUser) -> PostQuerySet:
    """Return the public posts written by ``author``."""
    depends_on(surrogates.author_posts(author.pk))
    return public_posts().filter(author=author)


def posts_in_month(year: int, month: int) -> PostQuerySet:
    """Return the public posts published in ``month`` of ``year``, in the site's time zone."""
    depends_on(surrogates.month_posts(year, month))
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return public_posts().filter(published_at__gte=start, published_at__lt=end)


def related_posts(post: Post) -> list[Post]:
    """Return other public posts from the same category tree, newest first."""
    if post.category_id is None:
        return []
    return section_posts(post.category.root(), excluding=post.slug)


def section_posts(root: Category, excluding: str | None = None) -> list[Post]:
    """Return the newest public posts under ``root`` but the one at ``excluding``: a related list."""
    return list(posts_in_category(root).exclude(slug=excluding or "")[:RELATED_SHOWN])


def files_post(root: Category, slug: str) -> bool:
    """Return whether the public post at ``slug`` is filed under ``root`` (no tag: a check)."""
    return _filed_under(root).filter(slug=slug).exists()


def section_leaders(root: Category) -> list[int]:
    """Return the ids of the newest posts under ``root``, those a related list may leave out.

    A post page among them shows its section's list without itself; any other shows the
    section's plain list. Declares nothing: the caller says what depends on it.
    """
    return list(_filed_under(root).values_list("pk", flat=True)[:RELATED_SHOWN])


def leads_section(post: Post, root: Category) -> bool:
    """Return whether ``post`` is among its section's newest (``section_leaders``).

    Only then does its page depend on the section's list: a post published there may
    push it out, which changes which related list the page shows.
    """
    leading = post.pk in section_leaders(root)
    if leading:
        depends_on(surrogates.category_posts(root.pk))
    return leading


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """Return the public posts published just after and just before ``post``."""
    # A post published or moved next to it changes these: blog.invalidation purges its page.
    depends_on(surrogates.post_page(post.pk))
    others = public_posts().exclude(pk=post.pk)
    newer = others.filter(
        Q(published_at__gt=post.published_at) | Q(published_at=post.published_at, pk__gt=post.pk)
    ).order_by("published_at", "pk").first()
    older = others.filter(
        Q(published_at__lt=post.published_at) | Q(published_at=post.published_at, pk__lt=post.pk)
    ).order_by("-published_at", "-pk").first()
    return newer, older


def public_authors() -> QuerySet:
    """Return the users with at least one public post, by username."""
    depends_on(surrogates.ALL_POSTS)
    public_author_ids = Post.objects.public().values("author_id")
    return get_user_model().objects.filter(pk__in=public_author_ids).order_by("username")


def public_author(username: str) -> AbstractBaseUser | None:
    """Return the author called ``username`` if they have a public post, else None."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        # Nobody yet: only a post by a new writer can make this page (publishing reaches ALL_POSTS).
        depends_on(surrogates.ALL_POSTS)
        return None
    # Whether their page exists follows their own posts only, not every publish.
    depends_on(surrogates.author_posts(user.pk))
    return user if Post.objects.public().filter(author=user).exists() else None


def public_tags() -> QuerySet:
    """Return the tags on at least one public post, by name."""
    depends_on(surrogates.ALL_POSTS, surrogates.ALL_TAGS)
    return Tag.objects.filter(posts__in=Post.objects.public().values("pk")).distinct().order_by("name")


def public_categories() -> list[Category]:
    """Return the categories whose page lists a public post: those filed to, and their parents."""
    depends_on(surrogates.ALL_POSTS, surrogates.ALL_CATEGORIES)
    used = set(
        Post.objects.public().exclude(category=None).values_list("category_id", flat=True)
    )
    used |= set(Post.extra_categories.through.objects.filter(
        post__in=Post.objects.public().values("pk")).values_list("category_id", flat=True))
    categories = {category.pk: category for category in Category.objects.all()}
    listed: set[int] = set()
    parents = {pk: category.parent_id for pk, category in categories.items()}
    for pk in used:
        listed.update(Category.lineage(parents, pk))
    return sorted((categories[pk] for pk in listed), key=lambda category: category.slug)

