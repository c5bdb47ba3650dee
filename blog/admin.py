"""The editors' admin for posts, categories and tags.

Publishing goes through ``Post.save()`` one post at a time rather than
``QuerySet.update()``: save computes the derived fields (an update purges, but would not
sanitise or summarise anything).
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from blog import images, pages
from blog.models import Category, Comment, Image, OldUrl, Page, Post, Tag
from blog.site import SITE_NAME
from cachekeys.admin import CachedPagesMixin

admin.site.site_header = f"{SITE_NAME} editors"
admin.site.site_title = f"{SITE_NAME} admin"
admin.site.index_title = "Magazine"


class AdminStyles:
    """The admin's own styles as a file (blog/css/admin.css): the CSP allows no inline ones."""

    css = {"all": ["blog/css/admin.css"]}


class PostFormMedia(AdminStyles):
    """The post form's "Insert" buttons for library photos (blog/js/admin.js, no inline script)."""

    js = ["blog/js/admin.js"]


RECENT_PHOTOS = 12


@admin.register(Post)
class PostAdmin(CachedPagesMixin, admin.ModelAdmin):
    Media = PostFormMedia
    list_display = ["title", "status", "is_live", "published_at", "author", "category", "reading_time"]
    list_filter = ["status", "sticky", "wordpress_protected", "category", "tags", "author"]
    list_select_related = ["author", "category"]
    search_fields = ["title", "slug", "excerpt", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags", "extra_categories"]
    raw_id_fields = ["cover"]
    readonly_fields = ["reading_time", "created_at", "updated_at", "cached_pages", "hidden_because",
                       "wordpress_id", "wordpress_status", "cover_preview", "photo_library"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "excerpt"]}),
        ("Photos in the story", {
            "fields": ["photo_library"],
            "description": "Put the cursor in the body where the photo goes and press “Insert” under it: "
                           "the photo's snippet goes in on a line of its own, and readers get it full width "
                           "with its caption and credit, sized for their screen. Upload photos under "
                           "Magazine → Images (their page has the snippet too, to copy by hand).",
        }),
        ("Cover photo", {
            "fields": ["cover", "cover_preview"],
            "description": "Pick a photo from the media library with the magnifier (upload one there "
                           "first under Magazine → Images). Without one, the story gets generated artwork.",
        }),
        ("Publishing", {"fields": ["status", "published_at", "author", "category", "extra_categories",
                                   "tags", "sticky"]}),
        ("Imported from WordPress", {"fields": ["hidden_because", "wordpress_protected", "wordpress_id",
                                                "wordpress_status"]}),
        ("Computed on save", {"classes": ["collapse"], "fields": ["reading_time", "created_at", "updated_at"]}),
        ("Page cache", {"classes": ["collapse"], "fields": ["cached_pages"]}),
    ]
    actions = ["publish", "unpublish", "purge_cached_pages"]

    @admin.display(description="Preview")
    def cover_preview(self, post: Post) -> str:
        return thumbnail(post.cover) if post.cover else "No cover: the generated artwork is shown."

    @admin.display(description="Recent photos")
    def photo_library(self, post: Post) -> str:
        recent = Image.objects.order_by("-uploaded_at", "-pk")[:RECENT_PHOTOS]
        if not recent:
            return "The library is empty: upload photos under Magazine → Images."
        items = format_html_join("", '<li class="blog-photo">{}<button type="button" class="button blog-insert" '
                                 'data-snippet="{}">Insert</button><span>{}</span></li>',
                                 ((thumbnail(image, 120), f"<p>{image.snippet()}</p>", str(image))
                                  for image in recent))
        return format_html('<ul class="blog-photos">{}</ul>', items)

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


def thumbnail(image: Image, width: int = 160) -> str:
    """A small preview of a library photo for the admin."""
    smallest = min(image.renditions, key=lambda item: item["width"], default=None)
    url = image.file.storage.url(smallest["name"]) if smallest else image.file.url
    return format_html('<img class="blog-thumb" src="{}" alt="{}" width="{}">',
                       url, image.alt_text, width)


class ImageForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit"]
        # Checked by decoding (blog.images.decode), with its own clear messages.
        field_classes = {"file": forms.FileField}
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": ",".join(t for _, t in images.FORMATS.values())})}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            images.decode(upload)
            upload.seek(0)
        return upload


@admin.register(Image)
class ImageAdmin(CachedPagesMixin, admin.ModelAdmin):
    Media = AdminStyles
    form = ImageForm
    list_display = ["preview", "__str__", "dimensions", "credit", "uploaded_by", "uploaded_at", "cover_count"]
    list_display_links = ["preview", "__str__"]
    search_fields = ["alt_text", "caption", "credit", "file"]
    list_filter = ["uploaded_at"]
    readonly_fields = ["large_preview", "snippet", "dimensions", "sizes", "uploaded_by", "uploaded_at", "cached_pages"]
    fieldsets = [
        (None, {
            "fields": ["file", "large_preview", "alt_text", "caption", "credit"],
            "description": f"Upload a JPEG, PNG, GIF or WebP photo of up to {settings.UPLOAD_MAX_MB} MB. "
                           "Its location data is removed, and smaller copies (and WebP versions) are made for "
                           "phones. Replacing the file or editing the texts updates every page showing it.",
        }),
        ("Use it", {
            "fields": ["snippet", "dimensions", "sizes", "uploaded_by", "uploaded_at"],
            "description": "To make it a story's cover, pick it in the story's “Cover photo”. To place it in "
                           "a story, paste the snippet into the body on a line of its own: it is shown full "
                           "width with its caption and credit.",
        }),
        ("Page cache", {"classes": ["collapse"], "fields": ["cached_pages"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("uploaded_by").annotate(covers=Count("cover_of"))

    def save_model(self, request: HttpRequest, obj: Image, form, change: bool) -> None:
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Photo")
    def preview(self, image: Image) -> str:
        return thumbnail(image, 96)

    @admin.display(description="Preview")
    def large_preview(self, image: Image) -> str:
        return thumbnail(image, 320) if image.pk else "—"

    @admin.display(description="Size")
    def dimensions(self, image: Image) -> str:
        return f"{image.width} × {image.height}" if image.width else "—"

    @admin.display(description="Cover of", ordering="covers")
    def cover_count(self, image: Image) -> int:
        return image.covers

    @admin.display(description="Snippet to paste into a story")
    def snippet(self, image: Image) -> str:
        if not image.pk:
            return "Shown once the photo is saved."
        return format_html('<code class="blog-snippet">{}</code>', image.snippet())

    @admin.display(description="Sizes made")
    def sizes(self, image: Image) -> str:
        rows = [(image.file.storage.url(item["name"]), item["width"], item["format"]) for item in image.renditions]
        return format_html_join(", ", '<a href="{}">{} px {}</a>', rows) if rows else "—"


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = ["title", "slug", "parent", "body", "status", "show_in_footer", "footer_order"]

    def clean(self) -> dict:
        cleaned = super().clean()
        slug, parent = cleaned.get("slug"), cleaned.get("parent")
        if not slug:
            return cleaned
        if parent is not None:
            try:  # under itself or one of its own pages: a loop with no address
                Page(pk=self.instance.pk, slug=slug, title=cleaned.get("title") or slug).path_under(parent)
            except ValueError as problem:
                self.add_error("parent", forms.ValidationError(str(problem), code="loop"))
                return cleaned
        problem = pages.slug_collision(slug, parent, own_pk=self.instance.pk)
        if problem:
            self.add_error("slug", forms.ValidationError(problem, code="collision"))
        return cleaned


@admin.register(Page)
class PageAdmin(CachedPagesMixin, admin.ModelAdmin):
    form = PageForm
    list_display = ["title", "address", "status", "show_in_footer", "footer_order", "updated_at"]
    list_editable = ["show_in_footer", "footer_order"]
    list_filter = ["status", "show_in_footer"]
    list_select_related = ["parent"]
    search_fields = ["title", "slug", "path", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at", "cached_pages"]
    fieldsets = [
        (None, {
            "fields": ["title", "slug", "parent", "body"],
            "description": "A page such as About or Contact, at /<slug>/; with a parent page, under its "
                           "address (/about/team/). Changing the slug or the parent moves the page and the "
                           "pages under it; their old addresses keep working (a permanent redirect). Write "
                           "the body as HTML like a story's (photo snippets from the media library work here too).",
        }),
        ("Publishing", {
            "fields": ["status", "show_in_footer", "footer_order"],
            "description": "Only published pages are shown. Tick “Show in footer” to list the page at the "
                           "bottom of every page of the site, sorted by footer order.",
        }),
        ("Page cache", {"classes": ["collapse"], "fields": ["updated_at", "cached_pages"]}),
    ]

    @admin.display(description="Address", ordering="path")
    def address(self, page: Page) -> str:
        return format_html('<a href="{}">{}</a>', page.get_absolute_url(), page.get_absolute_url())


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """The moderation queue: new comments wait here until an editor approves them."""

    list_display = ["author_name", "short_body", "post", "status", "created_at", "ip"]
    list_display_links = ["author_name", "short_body"]
    list_filter = ["status", "created_at"]
    # Counts beside each filter: how many wait, how many are spam.
    show_facets = admin.ShowFacets.ALWAYS
    list_select_related = ["post"]
    search_fields = ["author_name", "author_email", "body", "ip", "post__title"]
    date_hierarchy = "created_at"
    raw_id_fields = ["post", "parent"]
    readonly_fields = ["created_at", "ip", "shown_as"]
    fields = ["status", "post", "parent", "author_name", "author_email", "author_url", "body", "shown_as",
              "created_at", "ip"]
    actions = ["approve", "mark_spam", "mark_pending"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        waiting = Comment.objects.filter(status=Comment.Status.PENDING).count()
        extra_context = {**(extra_context or {}), "title": f"Comments: {waiting} awaiting moderation"}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Comment")
    def short_body(self, comment: Comment) -> str:
        text = " ".join(comment.body.split())
        return text[:90] + ("…" if len(text) > 90 else "")

    @admin.display(description="As readers see it")
    def shown_as(self, comment: Comment) -> str:
        return format_html("<div>{}</div>", mark_safe(comment.body_html)) if comment.pk else "—"

    def _set(self, request: HttpRequest, queryset: QuerySet, status: str, verb: str) -> None:
        # One save per comment: save() sends the signals that purge the pages showing it.
        count = 0
        with transaction.atomic():
            for comment in queryset.exclude(status=status):
                comment.status = status
                comment.save(update_fields=["status"])
                count += 1
        self.message_user(request, f"{verb} {count} comment{'s' if count != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Approve selected comments (show them under the post)", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set(request, queryset, Comment.Status.APPROVED, "Approved")

    @admin.action(description="Mark selected comments as spam (hide them)", permissions=["change"])
    def mark_spam(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set(request, queryset, Comment.Status.SPAM, "Marked as spam:")

    @admin.action(description="Put selected comments back in the queue (hide them)", permissions=["change"])
    def mark_pending(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set(request, queryset, Comment.Status.PENDING, "Back in the queue:")


@admin.register(OldUrl)
class OldUrlAdmin(admin.ModelAdmin):
    """Old addresses and where they answer 301 to (slug changes add them on their own)."""

    list_display = ("__str__", "target_type", "target_id", "url", "created_at")
    search_fields = ("path", "query", "url")
    list_filter = ("target_type",)
