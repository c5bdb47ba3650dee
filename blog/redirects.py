"""Old addresses keep working: a 301 to where the content moved, stored like a page.

Two sources, one answer. ``OldUrl`` rows (``blog.models``) name an old path and query
and their target: written here when a post, category or tag changes its slug, and by the
WordPress import for every old permalink (:func:`record_old_url`). Rules (:data:`RULES`)
answer whole families of old URLs without a row each: ``/?p=ID`` is the post imported
with that WordPress id.

:class:`OldUrlMiddleware` asks only when the site answered 404, so a live page always
wins over an old address that now names it. The 301 is marked for storing
(``store_page``): Nginx serves it from memcached like a page once the policy shares
vouched redirects (``cachekeys.policy.VOUCHED_REDIRECTS``, with the stored value format). It carries the tags
of its row and of its target (loaded while it renders), so a target that moves again or
is unpublished purges it, and the next reader gets the new address, or a 404.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.db import models
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest, HttpResponseBase, HttpResponsePermanentRedirect

from blog.models import Category, OldUrl, Page, Post, Tag
from cachekeys.canonical import request_query
from cachekeys.decorators import STORE_ATTRIBUTE
from cachekeys.dependencies import depends_on, instance_tag, track
from cachekeys.missing import address_tag
from cachekeys.tracking import tracker

# Models whose address changes are remembered (their old URL answers 301 to the new one):
# a slug edited, a page moved under another parent (the pages below it move with it).
MOVABLE: tuple[type[models.Model], ...] = (Post, Category, Tag, Page)
# Parameters of WordPress's old addresses of "/" (?p=, ?page_id=, ?cat=, ?m=, ?feed=...):
# the home page answers them 404, so an OldUrl row or a rule (RULES) answers instead.
OLD_URL_PARAMS = frozenset({"p", "page_id", "attachment_id", "cat", "tag", "m", "feed", "author"})
_WORDPRESS_ID = re.compile(r"[1-9][0-9]{0,17}")  # strict: /?p=0123 is not /?p=123


def old_address(path: str, query: str = "") -> str:
    """The tag of whatever an old address answers: a row written for it later purges it.

    An address tag (``cachekeys.missing``): its purge also drops the 404s Nginx keeps for
    paths no view answers, as ``/2012/01/07/some-post/`` is until its row is written.
    """
    return address_tag(path, query)


def record_old_url(path: str, query: str = "", target: models.Model | None = None, url: str = "") -> OldUrl:
    """Make ``path`` (+ ``query``, canonical spelling) answer 301 to ``target`` or ``url``.

    Idempotent: recording the same address again points it at the new target.
    """
    if (target is None) == (not url):
        raise ValueError("give a target object or a url, not both or neither")
    fields = {"target_type": None, "target_id": None, "url": url}
    if target is not None:
        fields = {"target_type": ContentType.objects.get_for_model(target), "target_id": target.pk, "url": ""}
    row, _ = OldUrl.objects.update_or_create(path=path, query=query, defaults=fields)
    return row


def wordpress_post(request: HttpRequest, query: str) -> models.Model | str | None:
    """``/?p=ID``: the post imported with WordPress id ID."""
    raw = request.GET.get("p")
    if request.path != "/" or query != f"p={raw}" or not _WORDPRESS_ID.fullmatch(raw or ""):
        return None
    return Post.objects.filter(wordpress_id=int(raw)).first()


# Each rule: (request, its canonical query) -> a target object, a URL, or None.
RULES: list[Callable[[HttpRequest, str], models.Model | str | None]] = [wordpress_post]


def moved_to(request: HttpRequest) -> str | None:
    """Return where the address of ``request`` moved, or ``None`` (then it stays a 404)."""
    request.GET.keys()  # the old address is the whole query: every parameter counts
    query = request_query(request)
    depends_on(old_address(request.path, query))
    row = OldUrl.objects.filter(path=request.path, query=query).first()
    if row is not None:
        return row.url or _public_url(_target_of(row))
    for rule in RULES:
        target = rule(request, query)
        if target is not None:
            return target if isinstance(target, str) else _public_url(target)
    return None


def _target_of(row: OldUrl) -> models.Model | None:
    if row.target_type_id is None:
        return None
    model = row.target_type.model_class()
    return model._default_manager.filter(pk=row.target_id).first() if model else None


def _public_url(target: models.Model | None) -> str | None:
    # Never send a reader to a draft: the old address stays a 404 until it is public.
    if target is None or not getattr(target, "is_public", True):
        return None
    return target.get_absolute_url()


class OldUrlMiddleware:
    """Answer a 404 whose address moved with a 301 to its new one (stored like a page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        location = moved_to(request)
        if location is None:
            return response
        redirect = HttpResponsePermanentRedirect(location)
        setattr(redirect, STORE_ATTRIBUTE, True)  # a redirect the site vouches for
        return redirect


# -- slug history ----------------------------------------------------------------------
_MOVED_FROM = "_blog_moved_from"  # the address an object is leaving, between its pre and post save


def _note_old_address(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    if old is not None and old.get_absolute_url() != instance.get_absolute_url():
        setattr(instance, _MOVED_FROM, old.get_absolute_url())


def _remember_old_slug(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs) -> None:
    # Written after the object's own save, not before: outside a transaction, a row saved
    # in the middle of another save would flush the tracker's change set early, before the
    # object's new state exists, and its pages would never be purged.
    before = instance.__dict__.pop(_MOVED_FROM, None)
    if raw or before is None:
        return
    record_old_url(before, target=instance)
    # The object lives at its new address now; a row pointing there would be dead.
    OldUrl.objects.filter(path=instance.get_absolute_url(), query="").delete()


def _row_state(pk: int) -> tuple | None:
    return OldUrl.objects.filter(pk=pk).values_list("path", "query", "target_type_id", "target_id", "url").first()


def _row_tags(pk: int, old: tuple | None, new: tuple | None) -> set[str]:
    tags = {instance_tag(OldUrl, pk)}
    for state in (old, new):
        if state is not None:
            tags.add(old_address(state[0], state[1]))  # what that address answered before
    return tags


def old_url_params_are_looked_up(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Nginx looks up only allow-listed parameters: an old address outside them reaches Django every time."""
    from cachekeys.conf import read_config

    # Defaults stand in for bad values, which cachekeys' own checks name (never a traceback).
    config, _ = read_config(getattr(settings, "CACHEKEYS", {}))
    missing = sorted(OLD_URL_PARAMS - set(config.query_params))
    if not missing:
        return []
    return [checks.Warning(
        f"WordPress's old addresses /?{missing[0]}=... are never served from the cache",
        hint=f"add {', '.join(repr(name) for name in missing)} to CACHEKEYS['QUERY_PARAMS'] "
             "(blog.redirects.OLD_URL_PARAMS)",
        id="blog.W001")]


def register(models_with_slugs: Iterable[type[models.Model]] = MOVABLE) -> None:
    checks.register(old_url_params_are_looked_up)
    track(OldUrl)
    tracker.watch(OldUrl, _row_state, _row_tags)
    for model in models_with_slugs:
        uid = f"blog-old-slug-{model._meta.label}"
        pre_save.connect(_note_old_address, sender=model, dispatch_uid=uid)
        post_save.connect(_remember_old_slug, sender=model, dispatch_uid=uid)
