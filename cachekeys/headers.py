"""The headers Django's own middleware, above ours, adds to a page on a miss.

``PageCacheMiddleware`` sees the response before ``SecurityMiddleware`` (which sits
above it) adds its headers; the stored value carries them anyway
(``cachekeys.store.pack_response``), so a hit repeats them as a miss has them.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

# The response middleware whose headers a hit must repeat (Django adds them on a miss).
HEADER_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy, when the project uses django-csp
)


def _plain_request() -> HttpRequest:
    request = HttpRequest()
    request.method, request.path = "GET", "/"
    request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80", "REQUEST_METHOD": "GET"}
    # Over HTTPS, as readers behind a TLS load balancer come: Django adds HSTS only then
    # (a browser ignores it over plain HTTP, so a plain-HTTP hit carrying it harms nothing).
    if settings.SECURE_PROXY_SSL_HEADER:
        header, value = settings.SECURE_PROXY_SSL_HEADER
        request.META[header] = value
    return request


def header_middleware(paths: list[str]) -> list[type]:
    """The project's middleware that is (or extends) one of ``HEADER_MIDDLEWARE``."""
    bases = []
    for path in HEADER_MIDDLEWARE:
        try:
            bases.append(import_string(path))
        except ImportError:  # django-csp is optional for the app
            continue
    found = []
    for path in paths:
        middleware = import_string(path)
        if isinstance(middleware, type) and issubclass(middleware, tuple(bases)):
            found.append(middleware)
    return found


def security_headers() -> list[tuple[str, str]]:
    """Return the headers Django's own middleware adds to a plain HTML response.

    Asking the middleware, rather than re-reading its settings, keeps hits in step with
    whatever Django version and settings are in force.
    """
    request, response = _plain_request(), HttpResponse("")
    before = set(response.headers)
    for middleware in header_middleware(settings.MIDDLEWARE):
        response = middleware(lambda request: response).process_response(request, response)
    return [(name, value) for name, value in response.headers.items() if name not in before]
