"""The app's one settings object: ``settings.CACHEKEYS`` parsed by the table in ``options``.

Read through :func:`get_config`, which is cached and cleared on ``setting_changed`` so
``override_settings(CACHEKEYS=...)`` works in tests. A bad value raises
``ImproperlyConfigured`` here; ``./manage.py check`` names every one first (``checks``).
"""
from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from cachekeys.keys import TrackingParams
from cachekeys.lookup import KeyRules
from cachekeys.options import DEFAULTS, SETTINGS, read
from cachekeys.policy import Rules

__all__ = ["DEFAULTS", "Config", "get_config", "read_config", "reset_config"]


class _Derived:
    """What the code reads besides the settings themselves, computed once per Config."""

    def expiry_cap(self) -> int | None:
        if not self.expiry_cap_path:
            return None
        seconds = import_string(self.expiry_cap_path)()
        return None if seconds is None else max(1, int(seconds))

    @functools.cached_property
    def key_rules(self) -> KeyRules:
        return KeyRules(key_prefix=self.key_prefix, tracking=TrackingParams(self.tracking_params))

    @property
    def purge_window(self) -> float:
        """How young a front's last complete purge-log poll must be for it to use its tier.

        Two polls and a margin: a front that polls on time always has one that young.
        """
        return 2 * self.nginx_purge_poll_seconds + 0.05

    @property
    def purge_wait(self) -> float:
        """How long a save waits after writing its purge record (cachekeys.deletes).

        The window plus a margin for Nginx's cached clock, which may lag by a loop turn.
        """
        return self.purge_window + 0.05

    @functools.cached_property
    def store_rules(self) -> Rules:
        return Rules(query_params=self.query_params, bypass_prefixes=list(self.bypass_prefixes),
                     store_by_default=self.store_by_default)


# One attribute per declared setting (cachekeys.options.SETTINGS), nothing written twice.
Config = dataclasses.make_dataclass(
    "Config", [(s.attribute, Any) for s in SETTINGS], bases=(_Derived,), frozen=True, eq=False)
Config.__module__ = __name__


def read_config(user: Any) -> tuple[Config, list]:
    """Return the Config for ``user`` (defaults standing in for bad values) and the problems."""
    values, problems = read(user)
    values["query_params"] = frozenset(values["query_params"])
    values["claim_seconds"] = math.ceil(values["claim_seconds"])
    values["grace_seconds"] = math.ceil(values["grace_seconds"])
    values["nginx_template_dir"] = Path(values["nginx_template_dir"]
                                        or Path(settings.BASE_DIR) / "deploy" / "nginx")
    return Config(**values), problems


@functools.cache
def get_config() -> Config:
    config, problems = read_config(getattr(settings, "CACHEKEYS", {}))
    if problems:
        raise ImproperlyConfigured(" ".join(p.message for p in problems) + " Run ./manage.py check.")
    return config


def reset_config(*, setting: str, **kwargs) -> None:
    """Forget the cached config when a test overrides a setting it is built from."""
    if setting in {"CACHEKEYS", "BASE_DIR"}:
        get_config.cache_clear()
