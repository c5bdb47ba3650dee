"""Views that exercise each store rule, for the middleware tests."""
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.cache import never_cache

from cachekeys.decorators import no_store, store_page


def page(request):
    return HttpResponse(b"<p>page</p>")


def sets_cookie(request):
    response = HttpResponse("cookie")
    response.set_cookie("seen", "1")
    return response


def with_csrf(request):
    return HttpResponse(f"<input value='{get_token(request)}'>")


def uses_session(request):
    request.session.get("anything")
    return HttpResponse("session read")


def absolute(request):
    return HttpResponse(request.build_absolute_uri("/x/"))


def streaming(request):
    return StreamingHttpResponse(iter([b"a", b"b"]))


urlpatterns = [
    path("page/", page),
    path("cookie/", sets_cookie),
    path("csrf/", with_csrf),
    path("session/", uses_session),
    path("never/", never_cache(page)),
    path("no-store/", no_store(page)),
    path("opt-in/", store_page(page)),
    path("stream/", streaming),
    path("absolute/", absolute),
]


def during_render(request):
    """Stand-in for whatever a concurrent request does while this page renders."""


def slow_page(request):
    before = "page rendered from data read before the purge"
    during_render(request)
    return HttpResponse(before)


urlpatterns.append(path("slow/", slow_page))
