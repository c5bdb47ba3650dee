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
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponsePermanentRedirect

from cachekeys import metrics
from cachekeys.canonical import ReadQuery, canonical_uri, declaring, with_tracking
from cachekeys.coalesce import Coalescer, Outcome, coalescible
from cachekeys.conf import Config, get_config
from cachekeys.decorators import STORE_ATTRIBUTE
from cachekeys.dependencies import collecting
from cachekeys.keys import TrackingParams, without_tracking
from cachekeys.lookup import Lookup, lookup
from cachekeys.missing import (
    KEEP_HEADER, ROUTED, keep_header, keepable, kind_of, redirect_target_key, token_for,
)
from cachekeys.policy import Exchange, refusal
from cachekeys.records import RenderTicket, page_tag, take_ticket
from cachekeys.store import expiry, get_pool, store_guarded

logger = logging.getLogger("cachekeys")


def _host(request: HttpRequest) -> str:
    try:
        return request.get_host()
    except DisallowedHost:
        return ""  # Django answers 400; a lookup without a host never agrees with Nginx


def lookup_for(request: HttpRequest, config: Config) -> Lookup:
    """Read what Nginx looked up for ``request`` (once: every decision shares it)."""
    meta = request.META
    return lookup(request.method or "", _host(request), meta.get("HTTP_X_REQUEST_URI") or None,
                  meta.get("HTTP_X_CACHE_KEY") or None, config.key_rules)


def hide_tracking(request: HttpRequest, tracking: TrackingParams) -> None:
    """Let the view see the query without tracking parameters, as the key does.

    The page is stored for the URL without them, so it must not depend on them: the
    view renders exactly what a reader of the plain URL gets (scripts in the browser
    still read them from the address bar, which is never rewritten).
    """
    kept = without_tracking(request.META.get("QUERY_STRING", ""), tracking)
    if kept is not None:
        request.META["QUERY_STRING"] = kept
    # Remembers which parameters the page reads: the others are no part of its URL.
    request.GET = ReadQuery(request.META.get("QUERY_STRING", "").encode("latin-1"))  # WSGI: latin-1


def render_for_public_url(request: HttpRequest, looked: Lookup, config: Config) -> None:
    """Make the view build absolute URLs from the key's host and the public scheme and port.

    The key holds the host without port or scheme, so a page stored for one reader is
    served to readers who sent ``Host: site.test:31337`` or came over the other scheme:
    its links must carry only what is part of the key (PUBLIC_SCHEME, PUBLIC_PORT).
    Only for requests Nginx looked up (the ones stored); others keep the Host they sent,
    which Django's CSRF Origin check needs.
    """
    if not (looked.looked_up and looked.host):
        return
    default_port = 443 if config.public_scheme == "https" else 80
    port = config.public_port
    request.META["HTTP_HOST"] = looked.host + (f":{port}" if port and port != default_port else "")
    request.META["SERVER_PORT"] = str(port or default_port)
    request.META["wsgi.url_scheme"] = config.public_scheme
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        request.META[header] = secure_value if config.public_scheme == "https" else "http"


def exchange_from(request: HttpRequest, looked: Lookup, response: HttpResponseBase,
                  declared: list[str | None] = ()) -> Exchange:
    meta = request.META
    choice = getattr(response, STORE_ATTRIBUTE, None)
    return Exchange(
        lookup=looked,
        path=request.path,
        canonical_uri=(declared[-1] if declared else canonical_uri(request)) if looked.looked_up else None,
        has_session_cookie=settings.SESSION_COOKIE_NAME in request.COOKIES,
        has_authorization="HTTP_AUTHORIZATION" in meta,
        csrf_token_used="CSRF_COOKIE_NEEDS_UPDATE" in meta,
        opted_out=choice is False,
        opted_in=choice is True,
        status=response.status_code,
        streaming=response.streaming,
        headers=tuple(response.headers.items()),
        sets_cookie=bool(response.cookies),
        cache_control=response.get("Cache-Control", ""),
        vary=response.get("Vary", ""),
    )


def coalesced_response(outcome: Outcome) -> HttpResponse:
    """Answer with a page another request stored, with the status and headers a hit repeats."""
    response = HttpResponse(outcome.body, status=outcome.status)
    for name, header in outcome.headers:
        response[name] = header
    response["X-Cache"] = "COALESCED"
    return response


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        config = get_config()
        looked = lookup_for(request, config)
        hide_tracking(request, config.key_rules.tracking)
        render_for_public_url(request, looked, config)
        # Only Nginx's cache location names a key; other requests are never stored, so
        # they skip the bookkeeping.
        ticket = take_ticket() if looked.nginx_key else None
        if ticket is None or config.coalesce_wait_seconds <= 0 or not coalescible(looked):
            return self.render(request, looked, ticket, config)[0]  # nothing another render could share
        key = looked.nginx_key
        coalescer = Coalescer(get_pool(config), config.claim_seconds, config.coalesce_wait_seconds)
        began = time.monotonic()
        outcome = coalescer.claim_or_wait(key, ticket.sequence)
        if outcome.body is not None:
            metrics.count_coalesced(time.monotonic() - began)
            return coalesced_response(outcome)  # rendered meanwhile
        if not outcome.holding:
            # memcached down (then store only if another node stands in), or waited enough.
            metrics.COALESCE.labels("rendered").inc()
            return self.render(request, looked, ticket, config, store=outcome.store)[0]
        metrics.COALESCE.labels("claimed").inc()
        return self.render_claimed(request, looked, ticket, config, coalescer)

    def render_claimed(self, request: HttpRequest, looked: Lookup, ticket: RenderTicket, config: Config,
                       coalescer: Coalescer) -> HttpResponseBase:
        """Render for every reader waiting on the claim, then tell them how it went."""
        key = looked.nginx_key
        try:
            with coalescer.keeping(key):
                response, stored = self.render(request, looked, ticket, config)
        except BaseException:
            coalescer.release(key)  # let a waiter take over now rather than at expiry
            raise
        coalescer.settle(key, ticket.sequence, response.content if stored else None)
        return response

    def render(self, request: HttpRequest, looked: Lookup, ticket: RenderTicket | None, config: Config,
               store: bool = True) -> tuple[HttpResponseBase, bool]:
        """Render the page and store it if the rules allow; return it and whether it was."""
        nginx_read = request.META.get("HTTP_X_CACHE_MISSING_TOKEN") if looked.agrees and store else None
        # Only when Nginx may keep the answer: resolving a nested page's path reads the database.
        kind = kind_of(request) if nginx_read else ROUTED
        missing_token = token_for(nginx_read, get_pool(config), config.key_prefix, kind)
        began = time.monotonic()
        with collecting() as tags, declaring() as declared:
            response = self.get_response(request)
        exchange = exchange_from(request, looked, response, declared)
        reason = refusal(exchange, config.store_rules)
        if reason == "not canonical" and response.status_code == 200 and exchange.canonical_uri:
            # Send the reader (and search engines) to the one spelling that is stored.
            location = with_tracking(exchange.canonical_uri, looked.request_uri, config.key_rules.tracking)
            response = HttpResponsePermanentRedirect(location)
        if reason is None and not store:
            reason = "memcached unavailable"
        if reason in ("status", "not canonical") and missing_token and keepable(exchange, config.store_rules):
            # Nginx keeps it itself (cachekeys.missing)
            response[KEEP_HEADER] = keep_header(kind, missing_token,
                                                redirect_target_key(exchange, config.key_prefix))
            response["X-Cache"] = "MISS"
            metrics.count_render("MISS", time.monotonic() - began, None)
            return response, False
        if reason is None and ticket is not None:
            key = looked.nginx_key
            ttl = min(expiry(config.timeout, config.jitter), config.expiry_cap() or config.timeout)
            reason = store_guarded(ticket, key, looked.host, looked.key_uri, response,
                                   tags | {page_tag(key)}, ttl, config)
        response["X-Cache"] = "MISS" if reason is None else "BYPASS"
        if reason is not None:
            response["X-Cache-Reason"] = reason
        if not getattr(response, metrics.UNCOUNTED, False):  # a scrape is not a page
            metrics.count_render(response["X-Cache"], time.monotonic() - began, reason)
        return response, reason is None
