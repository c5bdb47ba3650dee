"""The headers a hit repeats that Django's own middleware adds to a page on a miss.

Nginx adds them to every hit (the template is rendered from :func:`security_headers`), and
a coalesced answer, which the middleware below ours never sees, gets them here too.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

# The response middleware whose headers a hit must repeat (Django adds them on a miss).
HEADER_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


def _plain_request() -> HttpRequest:
    request = HttpRequest()
    request.method, request.path = "GET", "/"
    request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80", "REQUEST_METHOD": "GET"}
    return request


def security_headers() -> list[tuple[str, str]]:
    """Return the headers Django's own middleware adds to a plain HTML response.

    Asking the middleware, rather than re-reading its settings, keeps hits in step with
    whatever Django version and settings are in force.
    """
    request, response = _plain_request(), HttpResponse("")
    before = set(response.headers)
    for path in HEADER_MIDDLEWARE:
        if path in settings.MIDDLEWARE:
            response = import_string(path)(lambda request: response).process_response(request, response)
    return [(name, value) for name, value in response.headers.items() if name not in before]
