from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class CacheKeysConfig(AppConfig):
    name = "cachekeys"
    verbose_name = "Page cache (Nginx + memcached)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cachekeys import checks as cachekeys_checks
        from cachekeys.conf import reset_config

        checks.register(cachekeys_checks.check_settings, "cachekeys")
        setting_changed.connect(reset_config, dispatch_uid="cachekeys-reset-config")
