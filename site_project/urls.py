"""Where a request that reaches Django goes (Nginx has already answered cache hits)."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("blog.api.urls")),
    path("", include("cachekeys.urls")),  # /_cachekeys/metrics, for Prometheus
    path("", include("blog.urls")),
]

handler404 = "blog.views.page_not_found"
