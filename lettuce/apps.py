from django.apps import AppConfig


class LettuceConfig(AppConfig):
    """Installed for its ``harvest`` management command; it has no models."""

    name = "lettuce"
    verbose_name = "Lettuce-style features (harvest)"

    def ready(self) -> None:
        from lettuce import conf  # noqa: F401 - registers the LETTUCE_* settings check
