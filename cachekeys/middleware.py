"""Store pages Django renders on a cache miss where Nginx will serve them from.

Nginx answers hits itself; a request reaches this middleware only on a miss or a bypass.
Nginx's cache location sends the key it looked up (``X-Cache-Key``) and the raw request
URI (``X-Request-URI``); a page is stored only under that very key (see
``cachekeys.policy``), and every response says which way it went: ``X-Cache: MISS``
(rendered and stored), ``X-Cache: BYPASS`` (rendered, not stored, ``X-Cache-Reason``) or
``X-Cache: COALESCED`` (not rendered: another request rendered and stored it meanwhile,
see ``cachekeys.coalesce``).

Place it above SessionMiddleware, CsrfViewMiddleware and anything else that may set a
cookie, so it sees the final response (system check ``cachekeys.E002``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from cachekeys.coalesce import Coalescer, coalescible
from cachekeys.conf import Config, get_config, store_rules
from cachekeys.decorators import STORE_ATTRIBUTE
from cachekeys.dependencies import collecting
from cachekeys.keys import content_type_for, normalize_host
from cachekeys.policy import Exchange, refusal
from cachekeys.records import RenderTicket, page_tag, take_ticket
from cachekeys.store import expiry, get_pool, store_guarded

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


def coalescing_key(request: HttpRequest, config: Config) -> str | None:
    """Return the key this request may coalesce on, or ``None`` when it renders alone."""
    if config.coalesce_wait_seconds <= 0:
        return None
    key = request.META.get("HTTP_X_CACHE_KEY") or None
    uri = request.META.get("HTTP_X_REQUEST_URI") or None
    if coalescible(request.method or "", key, _host(request), uri, config.key_prefix):
        return key
    return None


def coalesced_response(request: HttpRequest, body: bytes, config: Config) -> HttpResponse:
    """Answer with a page another request stored, labelled as a hit on it would be."""
    # Imported here: it builds a test request, which only this rare answer needs.
    from cachekeys.nginx import security_headers

    uri = request.META["HTTP_X_REQUEST_URI"]
    response = HttpResponse(body, content_type=content_type_for(
        uri, config.content_types, config.default_content_type))
    # The middleware below this one never sees this answer; Nginx adds the same headers
    # to a hit, computed by the same function.
    for name, value in security_headers():
        response.headers.setdefault(name, value)
    response["X-Cache"] = "COALESCED"
    return response


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Only Nginx's cache location names a key; other requests are never stored, so
        # they skip the bookkeeping.
        ticket = take_ticket() if request.META.get("HTTP_X_CACHE_KEY") else None
        config = get_config()
        key = coalescing_key(request, config) if ticket is not None else None
        if key is None:
            return self.render(request, ticket, config)[0]  # nothing another render could share
        coalescer = Coalescer(get_pool(config), config.claim_seconds, config.coalesce_wait_seconds)
        outcome = coalescer.claim_or_wait(key, ticket.sequence)
        if outcome.body is not None:
            return coalesced_response(request, outcome.body, config)  # rendered meanwhile
        if not outcome.holding:
            # memcached down (then store only if another node stands in), or waited enough.
            return self.render(request, ticket, config, store=outcome.store)[0]
        return self.render_claimed(request, ticket, config, coalescer, key)

    def render_claimed(self, request: HttpRequest, ticket: RenderTicket, config: Config,
                       coalescer: Coalescer, key: str) -> HttpResponseBase:
        """Render for every reader waiting on the claim, then tell them how it went."""
        try:
            with coalescer.keeping(key):
                response, stored = self.render(request, ticket, config)
        except BaseException:
            coalescer.release(key)  # let a waiter take over now rather than at expiry
            raise
        coalescer.settle(key, ticket.sequence, response.content if stored else None)
        return response

    def render(self, request: HttpRequest, ticket: RenderTicket | None, config: Config,
               store: bool = True) -> tuple[HttpResponseBase, bool]:
        """Render the page and store it if the rules allow; return it and whether it was."""
        with collecting() as tags:
            response = self.get_response(request)
        exchange = exchange_from(request, response)
        reason = refusal(exchange, store_rules(config))
        if reason is None and not store:
            reason = "memcached unavailable"
        if reason is None and ticket is not None:
            key = exchange.nginx_key
            ttl = min(expiry(config.timeout, config.jitter), config.expiry_cap() or config.timeout)
            reason = store_guarded(ticket, key, exchange.host, exchange.request_uri, response.content,
                                   tags | {page_tag(key)}, ttl, config)
        response["X-Cache"] = "MISS" if reason is None else "BYPASS"
        if reason is not None:
            response["X-Cache-Reason"] = reason
        return response, reason is None
