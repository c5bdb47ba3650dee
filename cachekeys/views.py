"""Django's side of ``/_cachekeys/metrics`` (Nginx answers the same path with its own)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from cachekeys.clients import address_in, client_address
from cachekeys.conf import get_config


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for loopback and ``METRICS_ALLOW`` only.

    Through Nginx this path is Nginx's own, so Prometheus scrapes each app server
    directly (its gunicorn address); the reader's address decides either way.
    """
    if not address_in(client_address(request), get_config().metrics_allow):
        return HttpResponseForbidden("Metrics are for loopback and METRICS_ALLOW only.\n",
                                     content_type="text/plain")
    from cachekeys.metrics import UNCOUNTED, exposition

    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    setattr(response, UNCOUNTED, True)
    return response
