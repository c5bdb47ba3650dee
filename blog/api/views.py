"""``/api/v1/me/``: who is reading, for the page's script; the one API answer never shared.

Nginx sends it straight to Django (``CACHEKEYS["BYPASS_PREFIXES"]``) and ``never_cache``
tells browsers and proxies not to keep it: it depends on the session.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from tastypie.exceptions import BadRequest

from blog.api.query import check_params, parse_id
from blog.site import display_name


@never_cache
@require_safe
def me(request: HttpRequest) -> JsonResponse:
    """Say whether the visitor is an editor, and which admin links the page should offer.

    ``?post=<id>``: the post the page shows, to get its "Edit this post" link.
    """
    try:
        check_params(request.GET, {"post"})
        post_id = parse_id("post", request.GET["post"]) if "post" in request.GET else None
    except BadRequest as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(describe(request, request.user, post_id))


def is_editor(user: AbstractBaseUser | AnonymousUser) -> bool:
    # The admin's own test: active staff may log in there.
    return bool(user.is_active and user.is_staff)


def describe(request: HttpRequest, user: AbstractBaseUser | AnonymousUser,
             post_id: int | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "authenticated": user.is_authenticated,
        "editor": is_editor(user),
        "username": user.get_username() if user.is_authenticated else None,
        "name": display_name(user) if user.is_authenticated else None,
        "links": [],
        "edit_url": None,
        "logout": None,
    }
    if answer["editor"]:
        answer["links"] = admin_links(user)
        if post_id is not None and user.has_perm("blog.change_post"):
            answer["edit_url"] = reverse("admin:blog_post_change", args=[post_id])
        # The admin logs out by POST only; the script builds that form with this token.
        answer["logout"] = {"url": reverse("admin:logout"), "csrf_token": get_token(request)}
    return answer


def admin_links(user: AbstractBaseUser) -> list[dict[str, str]]:
    """Return the admin pages the editor bar links to, those ``user`` may open."""
    links = [{"label": "Dashboard", "url": reverse("admin:index")}]
    if user.has_perm("blog.view_post") or user.has_perm("blog.change_post"):
        links.append({"label": "Posts", "url": reverse("admin:blog_post_changelist")})
    if user.has_perm("blog.add_post"):
        links.append({"label": "New post", "url": reverse("admin:blog_post_add")})
    return links
