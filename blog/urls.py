"""The readers' URLs; other apps reverse these names, so they stay stable."""
from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter

from blog import views
from blog.feeds import LatestPostsFeed
from blog.sitemaps import SITEMAPS
from cachekeys.fragments import FRAGMENT_PREFIX

FRAGMENTS = FRAGMENT_PREFIX.removeprefix("/")  # these URLs sit at the site's root



class PagePathConverter:
    """A page's path: slugs joined by single slashes (``about/team``), nothing else.

    A top-level slug always resolves (to a page or the page view's 404), as before pages
    nested. A nested one resolves only where a page is: any other ``/2013/06/old-slug/``
    stays an address no view answers (``cachekeys.missing`` keeps those 404s apart, and the
    old-URL middleware still answers them).
    """

    regex = r"[-a-zA-Z0-9_]+(?:/[-a-zA-Z0-9_]+)*"

    def to_python(self, value: str) -> str:
        from blog.models import Page

        if "/" in value and not Page.objects.filter(path=value).exists():
            raise ValueError("no page has this path")  # Django: this pattern does not match
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PagePathConverter, "pagepath")

app_name = "blog"
urlpatterns = [
    path("", views.home, name="home"),
    path("posts/<slug:slug>/", views.post_detail, name="post"),
    path("category/<slug:slug>/", views.category, name="category"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    # Usernames may hold "@", "." and "+", which <slug:> would not match.
    path("author/<str:username>/", views.author, name="author"),
    path("archive/<int:year>/<int:month>/", views.archive, name="archive"),
    path("search/", views.search, name="search"),
    path("feed/", views.unpaginated(LatestPostsFeed()), name="feed"),
    # Shared parts of pages, which Nginx includes (blog.fragments); not pages themselves.
    path(f"{FRAGMENTS}<slug:name>/", views.fragment, name="fragment"),
    path(f"{FRAGMENTS}<slug:name>/<path:variant>/", views.fragment, name="fragment-variant"),
    path("sitemap.xml", views.unpaginated(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    # Last: a page's address may be any the routes above do not answer
    # (blog.pages.slug_collision refuses the others in the admin); nested pages: /about/team/.
    path("<pagepath:path>/", views.page, name="page"),
]
