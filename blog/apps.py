from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Magazine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from blog import images, invalidation, pages

        invalidation.register()
        images.register()
        pages.register()
