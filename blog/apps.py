from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Magazine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from blog import comments, images, invalidation, pages, redirects, search

        invalidation.register()
        comments.register()
        images.register()
        pages.register()
        redirects.register()
        search.register()
