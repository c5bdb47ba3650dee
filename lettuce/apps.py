from django.apps import AppConfig


class LettuceConfig(AppConfig):
    """Installed only for its ``harvest`` management command; it has no models."""

    name = "lettuce"
    verbose_name = "Lettuce-style features (harvest)"
