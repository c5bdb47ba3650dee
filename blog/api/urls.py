"""The API's URLs, included under ``api/``: TastyPie's ``Api`` owns the ``v1/`` segment."""
from django.urls import path

from blog.api.base import BlogApi
from blog.api.resources import CategoryResource, PostResource, TagResource
from blog.api import comments
from blog.api.views import me

v1 = BlogApi(api_name="v1")
for resource in (PostResource(), CategoryResource(), TagResource()):
    v1.register(resource)

urlpatterns = [
    # Before the Api's patterns, and under CACHEKEYS["BYPASS_PREFIXES"]: never cached.
    path("v1/me/", me, name="api_v1_me"),
    path("v1/comment/", comments.submit, name="api_v1_comment"),
    path("v1/comment/<int:pk>/", comments.status, name="api_v1_comment_status"),
    *v1.urls,
]
