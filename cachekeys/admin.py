"""Admin tools: see which cached pages show an object, and purge them by hand."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from cachekeys.dependencies import instance_tag
from cachekeys.models import CachedPage
from cachekeys.purge import PurgeReport, purge_tags

SHOWN_PAGES = 50


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, report: PurgeReport) -> None:
    level = messages.WARNING if report.failed_servers else messages.SUCCESS
    text = f"Purged {len(report.keys)} cached page{'s' if len(report.keys) != 1 else ''}."
    if report.failed_servers:
        text += f" memcached {', '.join(report.failed_servers)} was unreachable; the deletes will be retried."
    modeladmin.message_user(request, text, level)


class CachedPagesMixin:
    """For a ModelAdmin: a "Purge cached pages" action and a list of the pages showing an object.

    Add ``"cached_pages"`` to ``readonly_fields`` (and a fieldset) to show the list.
    """

    actions = ["purge_cached_pages"]

    @admin.action(description="Purge cached pages")
    def purge_cached_pages(self, request: HttpRequest, queryset: QuerySet) -> None:
        _report(self, request, purge_tags({instance_tag(obj, obj.pk) for obj in queryset}))

    @admin.display(description="Cached pages showing it")
    def cached_pages(self, obj: Model) -> str:
        if obj.pk is None:
            return "—"
        pages = CachedPage.objects.filter(tags__tag=instance_tag(obj, obj.pk)).distinct()
        urls = [(f"http:{page.url}", str(page)) for page in pages[:SHOWN_PAGES]]
        if not urls:
            return "None right now."
        more = pages.count() - len(urls)
        listing = format_html_join("", "<li><a href='{}'>{}</a></li>", urls)
        return format_html("<ul>{}</ul>{}", listing, f"and {more} more" if more > 0 else "")


@admin.register(CachedPage)
class CachedPageAdmin(admin.ModelAdmin):
    list_display = ["host", "uri", "stored_at", "expires_at"]
    list_filter = ["host"]
    search_fields = ["uri", "tags__tag"]
    readonly_fields = ["key", "host", "uri", "stored_at", "expires_at", "page_tags"]
    actions = ["purge_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pages are recorded when Nginx's misses store them

    def has_change_permission(self, request: HttpRequest, obj: CachedPage | None = None) -> bool:
        return False

    @admin.display(description="Surrogate keys")
    def page_tags(self, page: CachedPage) -> str:
        return ", ".join(page.tags.values_list("tag", flat=True))

    @admin.action(description="Purge selected pages", permissions=["view"])
    def purge_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        from cachekeys.records import page_tag

        _report(self, request, purge_tags({page_tag(page.key) for page in queryset}))
