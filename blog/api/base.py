"""TastyPie shaped for a shared cache: JSON only, no Vary, strict paging, JSON errors.

Nginx serves a stored answer to every request for its URL, whatever the request's
headers, with ``Content-Type: application/json``. So nothing here may depend on a
header: the format is always JSON (``Accept`` and ``?format=`` are not negotiated), no
``Vary: Accept`` is sent, and nothing reads the session or the user.
"""
from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.utils import timezone
from tastypie import http
from tastypie.api import Api
from tastypie.cache import NoCache
from tastypie.exceptions import BadRequest
from tastypie.paginator import Paginator
from tastypie.resources import ModelResource
from tastypie.serializers import Serializer

from blog.api.query import check_params, parse_count
from cachekeys.canonical import declare_canonical

JSON = "application/json"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
PAGING_PARAMS = frozenset({"limit", "offset"})


class JSONSerializer(Serializer):
    """TastyPie's serializer, limited to JSON, writing times with their UTC offset."""

    formats = ["json"]
    content_types = {"json": JSON}

    def format_datetime(self, data: datetime.datetime) -> str:
        # TastyPie drops the offset (make_naive); a script could not tell which zone.
        # The site's zone, so the date part is the day the pages print.
        return timezone.localtime(data).isoformat() if timezone.is_aware(data) else data.isoformat()


class SharedCache(NoCache):
    """Headers for answers every reader shares.

    TastyPie's default adds ``Vary: Accept`` (the store policy refuses a Vary that Nginx
    does not honour) and ``Cache-Control: no-cache`` (which keeps an answer out of
    memcached). Purges keep the stored copies fresh instead.
    """

    def __init__(self) -> None:
        super().__init__(varies=[])

    def cache_control(self) -> dict:
        return {}


class StrictPaginator(Paginator):
    """TastyPie's limit/offset paging, reading both strictly.

    ``limit`` defaults to the resource's ``limit``; ``0`` (TastyPie's "as many as you
    allow") and anything above ``max_limit`` are ``max_limit``.
    """

    def get_limit(self) -> int:
        raw = self.request_data.get("limit")
        if raw is None:
            return self.limit
        limit = parse_count("limit", raw)
        return self.max_limit if limit == 0 or limit > self.max_limit else limit

    def get_offset(self) -> int:
        raw = self.request_data.get("offset")
        return 0 if raw is None else parse_count("offset", raw)

    def page(self) -> dict:
        output = super().page()
        meta = output["meta"]
        raw_limit = self.request_data.get("limit")
        if raw_limit is not None and raw_limit != str(meta["limit"]):
            declare_canonical(None)  # limit=0 or over the cap: the same answer as limit=MAX
        if meta["offset"] and meta["offset"] >= meta["total_count"]:
            declare_canonical(None)  # past the end: nothing links here, and each offset would be an item
        return output

    def get_previous(self, limit: int, offset: int) -> str | None:
        # TastyPie gives none when offset < limit, though the first items are before it.
        if offset == 0:
            return None
        return self._generate_uri(limit, max(0, offset - limit))


class PublicMeta:
    """The options every resource here shares: its own ``Meta`` subclasses this."""

    list_allowed_methods = ["get"]
    detail_allowed_methods = ["get"]
    serializer = JSONSerializer()
    cache = SharedCache()
    paginator_class = StrictPaginator
    limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT
    # The defaults, Authentication() and ReadOnlyAuthorization(), read neither the
    # session nor the user: an answer never gets Vary: Cookie or a cookie.


class PublicResource(ModelResource):
    """A read-only resource of public content that Nginx may cache for everyone."""

    # The query parameters a list accepts; a detail accepts none.
    list_params: ClassVar[frozenset[str]] = PAGING_PARAMS

    class Meta(PublicMeta):
        abstract = True  # no model of its own

    def base_urls(self) -> list[URLPattern]:
        """List, detail (numeric ids only: anything else is a 404, not a 500) and schema."""
        name = self._meta.resource_name
        return [
            re_path(rf"^(?P<resource_name>{name})/$", self.wrap_view("dispatch_list"),
                    name="api_dispatch_list"),
            re_path(rf"^(?P<resource_name>{name})/schema/$", self.wrap_view("get_schema"),
                    name="api_get_schema"),
            re_path(rf"^(?P<resource_name>{name})/(?P<pk>[1-9][0-9]{{0,17}})/$",
                    self.wrap_view("dispatch_detail"), name="api_dispatch_detail"),
        ]

    def determine_format(self, request: HttpRequest) -> str:
        return JSON  # Nginx labels every /api/ hit JSON, whatever the request accepted

    def method_check(self, request: HttpRequest, allowed: list[str] | None = None) -> str:
        # HEAD is a GET whose body the server drops; Nginx answers HEAD from the cache too.
        if request.method == "HEAD" and "get" in (allowed or []):
            return "get"
        return super().method_check(request, allowed=allowed)

    def dispatch_list(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        check_params(request.GET, self.list_params)
        return super().dispatch_list(request, **kwargs)

    def dispatch_detail(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        check_params(request.GET, ())
        return super().dispatch_detail(request, **kwargs)

    def get_schema(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        check_params(request.GET, ())
        return super().get_schema(request, **kwargs)

    def get_detail(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().get_detail(request, **kwargs)
        if response.status_code == 404:
            # TastyPie's 404 is an empty text/html body; keep every answer JSON.
            error = {"error": f"No public {self._meta.resource_name} has this id."}
            return self.error_response(request, error, response_class=http.HttpNotFound)
        return response


class BlogApi(Api):
    """TastyPie's API index (``/api/v1/``), JSON only and strict about its query."""

    def __init__(self, api_name: str) -> None:
        super().__init__(api_name=api_name, serializer_class=JSONSerializer)

    def wrap_view(self, view: str):
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                check_params(request.GET, ())
                return getattr(self, view)(request, *args, **kwargs)
            except BadRequest as error:
                # TastyPie answers an empty text/html 400 here; keep every answer JSON.
                return JsonResponse({"error": str(error)}, status=400)

        return wrapper
