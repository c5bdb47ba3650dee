"""The app's own URLs: ``path("", include("cachekeys.urls"))``."""
from django.urls import path

from cachekeys import views

urlpatterns = [
    path("_cachekeys/metrics", views.metrics, name="cachekeys-metrics"),
]
