"""The magazine's content: posts, nested categories, tags, the photo library, standalone
pages, readers' comments and the old addresses that lead to them.

Other apps and the tests rely on these names (see issue "The magazine site").
"""
from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from blog import images
from blog.html import reading_minutes, sanitize, summarize
from cachekeys.tracking import TrackedQuerySet


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)

    objects = TrackedQuerySet.as_manager()  # an update() purges and reindexes like a save

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:category", kwargs={"slug": self.slug})

    def ancestors(self) -> list["Category"]:
        """Return the parents from the root down, guarding against a cycle."""
        chain: list[Category] = []
        node, seen = self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.insert(0, node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def trail(self) -> list["Category"]:
        """Return the breadcrumb trail: the parents from the root down, then this category."""
        return [*self.ancestors(), self]

    def root(self) -> "Category":
        """Return the top-level category this one sits under (itself when top-level)."""
        return self.trail()[0]

    @staticmethod
    def lineage(parents: Mapping[int, int | None], pk: int | None) -> list[int]:
        """Return ``pk`` then its parents' ids up to the root, from ``{id: parent_id}``.

        For bulk work (an import, the sitemap): no query per level, and a parent cycle
        stops the walk instead of looping.
        """
        chain: list[int] = []
        while pk is not None and pk not in chain and pk in parents:
            chain.append(pk)
            pk = parents[pk]
        return chain


class Tag(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    objects = TrackedQuerySet.as_manager()  # an update() purges and reindexes like a save

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:tag", kwargs={"slug": self.slug})


class PostQuerySet(TrackedQuerySet):  # an update() purges and reindexes like a save
    def public(self) -> "PostQuerySet":
        """Published posts whose publish date has passed: all a reader may see.

        A password-protected post is never public, whatever its status: the site has no
        password form, so its text would be everyone's.
        """
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now(),
                           wordpress_protected=False)

    def scheduled(self) -> "PostQuerySet":
        """Published posts whose publish date is still ahead, the next one first."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now(),
                           wordpress_protected=False).order_by("published_at")


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(help_text="HTML. Scripts and unsafe markup are removed on save.")
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(blank=True, help_text="Left empty, the start of the body is used.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    extra_categories = models.ManyToManyField(
        Category, blank=True, related_name="extra_posts",
        help_text="Other categories that list it too; the category above stays its primary one "
                  "(breadcrumbs, section).",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    cover = models.ForeignKey(
        "Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="cover_of",
        help_text="The photo at the top of the story, on its cards and when shared. "
                  "Left empty, the generated artwork is used.",
    )
    sticky = models.BooleanField(
        default=False, help_text="Featured at the top of the home page (WordPress's sticky posts).",
    )
    reading_time = models.PositiveSmallIntegerField(editable=False, default=1)
    wordpress_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False,
        help_text="The post's id in the WordPress export it was imported from.",
    )
    wordpress_status = models.CharField(
        max_length=20, blank=True, editable=False,
        help_text="Its status in WordPress (publish, private, draft, pending, future, trash).",
    )
    wordpress_protected = models.BooleanField(
        "password-protected", default=False,
        help_text="It had a password in WordPress: kept out of every public page while ticked.",
    )
    wordpress_cover_id = models.PositiveBigIntegerField(
        null=True, blank=True, editable=False,
        help_text="WordPress's featured image (_thumbnail_id): the cover once that photo is imported.",
    )
    wordpress_media_pending = models.BooleanField(
        default=False, editable=False, db_index=True,
        help_text="Its body or cover still points at a WordPress file not imported yet.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Derived fields are computed here, never by saving again from post_save.
        self.body_html = sanitize(self.body)
        self.excerpt = self.excerpt.strip() or summarize(self.body)
        self.reading_time = reading_minutes(self.body)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                "body_html", "excerpt", "reading_time", "updated_at",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("blog:post", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return (self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()
                and not self.wordpress_protected)

    @property
    def is_scheduled(self) -> bool:
        """Published, but its publish date is still ahead: it appears on its own then."""
        return (self.status == self.Status.PUBLISHED and self.published_at > timezone.now()
                and not self.wordpress_protected)

    @property
    def hidden_because(self) -> str:
        """Why an imported post is not shown to readers, for the admin; "" if nothing holds it."""
        if self.wordpress_protected:
            return "Password-protected in WordPress: readers never see it while it is ticked."
        if self.wordpress_status and self.wordpress_status not in ("publish", "future"):
            return f"Its status in WordPress was “{self.wordpress_status}”: imported as a draft."
        return ""


def image_upload_to(image: "Image", filename: str) -> str:
    """Store a photo under its content hash, so one set of bytes has one name for ever."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"{images.FOLDER}/{image.content_hash[:images.HASH_LENGTH]}.{extension}"


class Image(models.Model):
    """A photo in the media library: stored once, served in a few widths (blog.images)."""

    file = models.ImageField(
        # No width_field/height_field: Django would decode the file when the object is
        # built, before blog.images has checked it (a decompression bomb, for one).
        upload_to=image_upload_to,
        help_text="JPEG, PNG, GIF or WebP. Location data is removed; smaller copies for phones "
                  "and WebP versions are made on save.",
    )
    alt_text = models.CharField(
        max_length=300, blank=True,
        help_text="What the photo shows, for readers who cannot see it. Leave empty only for decoration.",
    )
    caption = models.CharField(max_length=500, blank=True, help_text="Shown under the photo.")
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or source, e.g. “Photo: Jane Doe”.")
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    content_hash = models.CharField(max_length=64, editable=False, db_index=True, default="")
    # [{"width": 480, "height": 320, "format": "webp", "name": "images/…-480w.webp"}, …]
    renditions = models.JSONField(editable=False, default=list)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="images",
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    wordpress_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False,
        help_text="The attachment's id in the WordPress export it was imported from.",
    )

    objects = TrackedQuerySet.as_manager()  # an update() (alt text, caption) purges like a save

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.alt_text or self.caption or self.file.name.rsplit("/", 1)[-1]

    def save(self, *args, **kwargs) -> None:
        """Check and store a new upload with its sizes first (ValidationError: nothing stored)."""
        if self.file and not self.file._committed:
            previous = Image.objects.filter(pk=self.pk).values("file", "renditions").first() if self.pk else None
            stored = images.store(self.file, self.file.storage)
            self.file.name, self.file._committed = stored.name, True
            self.content_hash, self.renditions = stored.digest, stored.renditions
            self.width, self.height = stored.width, stored.height
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                    "file", "content_hash", "renditions", "width", "height"}
            super().save(*args, **kwargs)
            if previous and previous["file"] != stored.name:
                self.forget_files(previous["file"], previous["renditions"], self.file.storage)
            return
        super().save(*args, **kwargs)

    @classmethod
    def forget_files(cls, name: str, renditions: list[dict], storage) -> None:
        """Delete a photo's files once the transaction commits, unless another photo shares them."""
        def delete() -> None:
            if not cls.objects.filter(file=name).exists():
                images.delete_files(images.files_of(name, renditions), storage)

        transaction.on_commit(delete)

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]

    def snippet(self) -> str:
        """The HTML an editor pastes into a story's body to place this photo."""
        from django.utils.html import format_html

        return format_html('<img src="{}" alt="{}">', self.file.url, self.alt_text)


def image_deleted(sender, instance: Image, **kwargs) -> None:
    """A deleted photo's files go after the commit (``post_delete``, connected in ``ready()``)."""
    if instance.file:
        instance.forget_files(instance.file.name, instance.renditions, instance.file.storage)


class Page(models.Model):
    """A standalone page (About, Contact) at ``/<slug>/``; under a parent, ``/<parent path>/<slug>/``.

    ``path`` is the address without its slashes (``about/team``), kept on every save and
    unique: two pages can share a slug only under different parents, as in WordPress.
    """

    MAX_DEPTH = 8  # levels of nesting: deeper is a mistake (or a loop) in the data

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=100,
        help_text="The page lives at /<slug>/, or under its parent page's address (/about/<slug>/). "
                  "A top-level slug another address of the site uses is refused.",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="Nest the page under another: its address becomes /<parent's address>/<slug>/.",
    )
    path = models.CharField(max_length=255, unique=True, editable=False,
                            help_text="The page's address without its slashes, from its parents' slugs and its own.")
    body = models.TextField(help_text="HTML, like a post's body. Scripts and unsafe markup are removed on save.")
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    show_in_footer = models.BooleanField(default=False, help_text="List this page in the footer of every page.")
    footer_order = models.PositiveSmallIntegerField(default=0, help_text="Footer links are sorted by this number, then title.")
    wordpress_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False,
        help_text="The page's id in the WordPress export it was imported from.",
    )
    wordpress_status = models.CharField(max_length=20, blank=True, editable=False,
                                        help_text="Its status in WordPress; a password-protected page is 'protected'.")
    wordpress_parent_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False,
                                                         help_text="The WordPress id of its parent page.")
    wordpress_media_pending = models.BooleanField(default=False, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackedQuerySet.as_manager()  # an update() purges like a save

    class Meta:
        ordering = ["footer_order", "title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body_html = sanitize(self.body)
        before = self.path
        self.path = self.path_under(self.parent)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"body_html", "updated_at", "path"}
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if before and before != self.path:
                # The pages below move with it: each saved, so each leaves a 301 and is purged.
                for child in self.children.all():
                    child.save()

    def path_under(self, parent: "Page | None") -> str:
        """The path this page has under ``parent``; ValueError if that nests it in itself or too deep."""
        parts, seen = [self.slug], {self.pk}
        while parent is not None:
            if parent.pk in seen or len(parts) >= self.MAX_DEPTH:
                raise ValueError(f"{self.title!r} cannot be nested under {parent.title!r}: "
                                 "that makes it its own parent or nests it too deep.")
            seen.add(parent.pk)
            parts.insert(0, parent.slug)
            parent = parent.parent
        return "/".join(parts)

    def get_absolute_url(self) -> str:
        return reverse("blog:page", kwargs={"path": self.path or self.path_under(self.parent)})

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Comment(models.Model):
    """A reader's comment; shown under the post only once an editor approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies",
        help_text="The comment this one answers.",
    )
    author_name = models.CharField(max_length=100)
    author_email = models.EmailField(max_length=254, help_text="Never shown to readers.")
    author_url = models.URLField(max_length=200, blank=True)
    body = models.TextField()
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, unpack_ipv4=True)
    # sha256 of the secret only the comment's author holds (so they alone see it pending).
    author_key = models.CharField(max_length=64, editable=False, blank=True, default="")
    wordpress_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False,
        help_text="The comment's id in the WordPress export it was imported from.",
    )

    objects = TrackedQuerySet.as_manager()  # an update() purges like a save

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.post_id}: {self.body[:40]}"

    def save(self, *args, **kwargs) -> None:
        from blog.html import sanitize_comment

        self.body_html = sanitize_comment(self.body)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"body_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"


class OldUrl(models.Model):
    """An address the site used to answer, and where it moved: answered with a 301.

    Written when a post, category or tag changes its slug (``blog.redirects``) and by the
    WordPress import for every old permalink (``?page_id=``, dated paths, feeds...). The
    target is an object, followed wherever its URL moves next, or a fixed URL.
    """

    path = models.CharField(max_length=500, help_text="The path as Django decodes it, e.g. /posts/old-slug/.")
    query = models.CharField(max_length=500, blank=True, default="",
                             help_text="The query in its canonical spelling (page_id=12), empty for none.")
    target_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.CASCADE)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    url = models.CharField(max_length=1000, blank=True, default="",
                           help_text="A fixed target instead of an object (a path or an absolute URL).")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TrackedQuerySet.as_manager()  # an update() purges like a save

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "query"], name="blog_oldurl_path_query")]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = "old URL"

    def __str__(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")
