"""The editors' admin for posts, categories and tags.

Publishing goes through ``Post.save()`` one post at a time rather than
``QuerySet.update()``: save computes the derived fields and sends the signals the page
cache listens to, and an update would do neither.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from blog.models import Category, Post, Tag
from blog.views import SITE_NAME
from cachekeys.admin import CachedPagesMixin

admin.site.site_header = f"{SITE_NAME} editors"
admin.site.site_title = f"{SITE_NAME} admin"
admin.site.index_title = "Magazine"


@admin.register(Post)
class PostAdmin(CachedPagesMixin, admin.ModelAdmin):
    list_display = ["title", "status", "is_live", "published_at", "author", "category", "reading_time"]
    list_filter = ["status", "sticky", "wordpress_protected", "category", "tags", "author"]
    list_select_related = ["author", "category"]
    search_fields = ["title", "slug", "excerpt", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags", "extra_categories"]
    readonly_fields = ["reading_time", "created_at", "updated_at", "cached_pages", "hidden_because",
                       "wordpress_id", "wordpress_status"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "excerpt"]}),
        ("Publishing", {"fields": ["status", "published_at", "author", "category", "extra_categories",
                                   "tags", "sticky"]}),
        ("Imported from WordPress", {"fields": ["hidden_because", "wordpress_protected", "wordpress_id",
                                                "wordpress_status"]}),
        ("Computed on save", {"classes": ["collapse"], "fields": ["reading_time", "created_at", "updated_at"]}),
        ("Page cache", {"classes": ["collapse"], "fields": ["cached_pages"]}),
    ]
    actions = ["publish", "unpublish", "purge_cached_pages"]

    @admin.display(boolean=True, description="Live")
    def is_live(self, post: Post) -> bool:
        """Show whether readers can see the post now (published and its date has come)."""
        return post.is_public

    @admin.display(description="Why readers cannot see it")
    def hidden_because(self, post: Post) -> str:
        return post.hidden_because or "—"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """Make the editor writing the post its author unless they pick someone else."""
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.action(description="Publish selected posts", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Publish drafts; a draft dated in the past goes out now, a future date stays scheduled."""
        now = timezone.now()
        count = 0
        with transaction.atomic():
            for post in queryset.exclude(status=Post.Status.PUBLISHED):
                post.status = Post.Status.PUBLISHED
                # An old draft's date is when it was started; readers expect "published now".
                post.published_at = max(post.published_at, now)
                post.save(update_fields=["status", "published_at"])
                count += 1
        self.message_user(request, f"Published {count} post{'s' if count != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Unpublish selected posts", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Turn published posts back into drafts, keeping their dates."""
        count = 0
        with transaction.atomic():
            for post in queryset.filter(status=Post.Status.PUBLISHED):
                post.status = Post.Status.DRAFT
                post.save(update_fields=["status"])
                count += 1
        self.message_user(request, f"Unpublished {count} post{'s' if count != 1 else ''}.", messages.SUCCESS)


@admin.register(Category)
class CategoryAdmin(CachedPagesMixin, admin.ModelAdmin):
    list_display = ["name", "parent", "slug", "post_count"]
    list_filter = ["parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description="Posts", ordering="post_count")
    def post_count(self, category: Category) -> int:
        """Count every post filed directly under the category, drafts included."""
        return category.post_count


@admin.register(Tag)
class TagAdmin(CachedPagesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "post_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description="Posts", ordering="post_count")
    def post_count(self, tag: Tag) -> int:
        """Count every post carrying the tag, drafts included."""
        return tag.post_count
