"""harvest's settings, each read here once: Lettuce's ``LETTUCE_*`` and ``HARVEST_STACK``.

==============================  =========================================================
``HARVEST_STACK``               dotted path of what serves the site in front of the live
                                server (``lettuce.stack``); unset: the live server alone
``LETTUCE_APPS``                without ``-a``: only these apps' features (dotted-name
                                prefixes, as in Lettuce)
``LETTUCE_AVOID_APPS``          without ``-a``: not these apps' features
``LETTUCE_SERVER_PORT``         the live server's port when ``-P`` is not given (default:
                                a free one, so runs never collide)
``LETTUCE_USE_TEST_DATABASE``   accepted; the test database is always used
``LETTUCE_SERVE_ADMIN_MEDIA``   accepted; static files (the admin's too) are always served
==============================  =========================================================

Lettuce settings harvest cannot honour (``LETTUCE_TEST_SERVER``, ``LETTUCE_SMTP_QUEUE_*``)
are reported by the system check ``lettuce.W001``, naming the difference.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import Warning, register
from django.utils.module_loading import import_string

ACCEPTED_WITHOUT_EFFECT = ("LETTUCE_USE_TEST_DATABASE", "LETTUCE_SERVE_ADMIN_MEDIA")
NOT_SUPPORTED = {
    "LETTUCE_TEST_SERVER": "harvest always runs Django's live server (StaticLiveServerTestCase) "
                           "behind HARVEST_STACK; a custom Lettuce server class is not used",
    "LETTUCE_SMTP_QUEUE_HOST": "mail goes to django.core.mail.outbox (the locmem backend), "
                               "as in Django's tests; there is no SMTP queue",
    "LETTUCE_SMTP_QUEUE_PORT": "mail goes to django.core.mail.outbox; there is no SMTP queue",
}


def _names(setting: str) -> tuple[str, ...] | None:
    value = getattr(settings, setting, None)
    return tuple(value) if isinstance(value, (list, tuple)) else None


def app_selected_by_settings(module_name: str) -> bool:
    """Lettuce's LETTUCE_APPS / LETTUCE_AVOID_APPS rule: dotted-name prefixes."""
    only = _names("LETTUCE_APPS")
    if only is not None and not any(module_name.startswith(name) for name in only):
        return False
    avoid = _names("LETTUCE_AVOID_APPS") or ()
    return not any(module_name.startswith(name) for name in avoid)


def server_port() -> int | None:
    port = getattr(settings, "LETTUCE_SERVER_PORT", None)
    return int(port) if port else None


def stack_factory() -> Callable[..., Any] | None:
    """Return what ``HARVEST_STACK`` names (a class or function), or None when unset."""
    path = getattr(settings, "HARVEST_STACK", None)
    return import_string(path) if path else None


@register()
def check_lettuce_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    problems = []
    for name, difference in NOT_SUPPORTED.items():
        if hasattr(settings, name):
            problems.append(Warning(
                f"{name} is a Lettuce setting harvest does not use: {difference}.",
                hint="Remove it, or see lettuce/README.md (Porting a Lettuce project).",
                id="lettuce.W001",
            ))
    path = getattr(settings, "HARVEST_STACK", None)
    if path:
        try:
            import_string(path)
        except ImportError as error:
            problems.append(Warning(
                f"HARVEST_STACK = {path!r} cannot be imported: {error}",
                hint="Name a class or function taking the live server's address "
                     "(see lettuce/stack.py), or remove the setting to test Django alone.",
                id="lettuce.W002",
            ))
    return problems
