"""The site's URLs plus a tiny page with one fragment, for the first tier's SSI tests.

``/with-fragment/`` renders its shared part as an include when Nginx asks for includes
(``X-Cache-Fragments: ssi``, cachekeys contract 2) and inline otherwise; the fragment
``/_fragments/latest/`` shows the newest post's title.
"""
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from blog.models import Post
from cachekeys.fragments import include_directive

INCLUDE = include_directive("/_fragments/latest/")


def latest(request: HttpRequest) -> HttpResponse:
    title = Post.objects.order_by("-pk").values_list("title", flat=True).first() or "none"
    return HttpResponse(f"<aside>Latest: {title}</aside>")


def with_fragment(request: HttpRequest) -> HttpResponse:
    part = INCLUDE if request.headers.get("X-Cache-Fragments") == "ssi" else latest(request).content.decode()
    return HttpResponse(f"<!doctype html><title>Page</title><h1>A page</h1>{part}<p>the end</p>")


def foreign_include(request: HttpRequest) -> HttpResponse:
    """An include of something that is not a fragment: never put in on a hit."""
    return HttpResponse('<p>before</p><!--# include virtual="/admin/" --><p>after</p>')


urlpatterns = [
    path("_fragments/latest/", latest),
    path("with-fragment/", with_fragment),
    path("foreign-include/", foreign_include),
    path("", include("site_project.urls")),
]
