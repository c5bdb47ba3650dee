"""Store pages Django renders on a cache miss where Nginx will serve them from.

Nginx answers hits itself; a request reaches this middleware only on a miss or a bypass.
Nginx's cache location sends the key it looked up (``X-Cache-Key``) and the raw request
URI (``X-Request-URI``); a page is stored only under that very key (see
``cachekeys.policy``), and every response says which way it went: ``X-Cache: MISS``
(rendered and stored) or ``X-Cache: BYPASS`` (rendered, not stored, ``X-Cache-Reason``).

Place it above SessionMiddleware, CsrfViewMiddleware and anything else that may set a
cookie, so it sees the final response (system check ``cachekeys.E002``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

from cachekeys.conf import get_config, store_rules
from cachekeys.decorators import STORE_ATTRIBUTE
from cachekeys.dependencies import collecting
from cachekeys.keys import normalize_host
from cachekeys.policy import Exchange, refusal
from cachekeys.records import page_tag, take_ticket
from cachekeys.store import expiry, store_guarded

logger = logging.getLogger("cachekeys")


def _host(request: HttpRequest) -> str:
    try:
        return normalize_host(request.get_host())
    except DisallowedHost:
        return ""  # Django answers 400; the status rule refuses the page


def exchange_from(request: HttpRequest, response: HttpResponseBase) -> Exchange:
    meta = request.META
    choice = getattr(response, STORE_ATTRIBUTE, None)
    return Exchange(
        method=request.method or "",
        path=request.path,
        host=_host(request) if response.status_code == 200 else "",
        request_uri=meta.get("HTTP_X_REQUEST_URI") or None,
        nginx_key=meta.get("HTTP_X_CACHE_KEY") or None,
        has_session_cookie=settings.SESSION_COOKIE_NAME in request.COOKIES,
        has_authorization="HTTP_AUTHORIZATION" in meta,
        csrf_token_used="CSRF_COOKIE_NEEDS_UPDATE" in meta,
        opted_out=choice is False,
        opted_in=choice is True,
        status=response.status_code,
        streaming=response.streaming,
        content_type=response.get("Content-Type", ""),
        sets_cookie=bool(response.cookies),
        cache_control=response.get("Cache-Control", ""),
        vary=response.get("Vary", ""),
    )


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Only Nginx's cache location names a key; other requests are never stored, so
        # they skip the bookkeeping.
        ticket = take_ticket() if request.META.get("HTTP_X_CACHE_KEY") else None
        with collecting() as tags:
            response = self.get_response(request)
        config = get_config()
        exchange = exchange_from(request, response)
        reason = refusal(exchange, store_rules(config))
        if reason is None and ticket is not None:
            key = exchange.nginx_key
            ttl = min(expiry(config.timeout, config.jitter), config.expiry_cap() or config.timeout)
            reason = store_guarded(ticket, key, exchange.host, exchange.request_uri, response.content,
                                   tags | {page_tag(key)}, ttl, config)
        response["X-Cache"] = "MISS" if reason is None else "BYPASS"
        if reason is not None:
            response["X-Cache-Reason"] = reason
        return response
