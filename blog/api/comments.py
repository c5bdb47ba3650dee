"""``/api/v1/comment/``: readers post comments from the page's script, and ask about their own.

Both answers depend on who asks, so they are never stored: Nginx sends the prefix
straight to Django (``CACHEKEYS["BYPASS_PREFIXES"]``) and ``never_cache`` tells browsers.

``POST /api/v1/comment/`` takes JSON (or a form) with ``post`` (its id), ``author_name``,
``author_email``, ``author_url``, ``body`` and optionally ``parent``; it answers 201 with
the pending comment and a ``key`` only its author holds, 400 with ``{"error", "fields"}``,
or 429 when the address has sent too many. ``GET /api/v1/comment/<id>/?key=KEY`` tells
that author the comment's state (``pending``, ``approved``); anyone else gets 404.
"""
from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from blog import comments, queries
from blog.models import Comment

MAX_BODY_BYTES = 64 * 1024


def _error(message: str, status: int = 400, fields: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "fields": fields or {}}, status=status)


def _payload(request: HttpRequest) -> dict | None:
    if request.content_type == "application/json":
        if len(request.body) > MAX_BODY_BYTES:
            return None
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        return {key: "" if value is None else str(value) for key, value in data.items()
                if isinstance(value, (str, int, float)) or value is None}
    return request.POST.dict()


@never_cache
@csrf_exempt  # cached pages carry no token; see blog.comments
@require_POST
def submit(request: HttpRequest) -> JsonResponse:
    data = _payload(request)
    if data is None:
        return _error("Send a JSON object (or a form) with the comment's fields.")
    raw_post = data.get("post", "")
    post = queries.public_posts().filter(pk=int(raw_post)).first() if raw_post.isdigit() and len(raw_post) < 19 else None
    if post is None:
        return _error("No such post to comment on.", fields={"post": ["No such post."]})
    outcome = comments.submit(request, post, data)
    if outcome.limited:
        return _error(outcome.errors["form"][0], status=429)
    if outcome.errors:
        first = next(iter(outcome.errors.values()))[0]
        return _error(first, fields=outcome.errors)
    if outcome.bot:
        return JsonResponse({"status": Comment.Status.PENDING}, status=201)
    return JsonResponse(describe(outcome.comment) | {"key": outcome.key}, status=201)


@never_cache
@require_safe
def status(request: HttpRequest, pk: int) -> JsonResponse:
    comment = Comment.objects.filter(pk=pk).first()
    if comment is None or not comments.owns(comment, request.GET.get("key", "")):
        return _error("No such comment.", status=404)
    return JsonResponse(describe(comment))


def describe(comment: Comment) -> dict:
    """What the author's own page shows of their comment (never the email or address)."""
    return {
        "id": comment.pk,
        "post": comment.post_id,
        "parent": comment.parent_id,
        "status": comment.status,
        "author_name": comment.author_name,
        "body_html": comment.body_html,
        "created_at": comment.created_at.isoformat(),
    }
