from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Magazine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from blog import comments, invalidation, models, pages, redirects, search

        invalidation.register()
        comments.register()
        post_delete.connect(models.image_deleted, sender=models.Image, dispatch_uid="blog-images-delete-files")
        pages.register()
        redirects.register()
        search.register()
