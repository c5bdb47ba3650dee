"""Per-view choices: opt a view out of the page cache, or in when storing is opt-in."""
from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpResponseBase

STORE_ATTRIBUTE = "cachekeys_store"


def _marking(store: bool) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs) -> HttpResponseBase:
            response = view(*args, **kwargs)
            setattr(response, STORE_ATTRIBUTE, store)
            return response

        return wrapped

    return decorator


no_store = _marking(False)
no_store.__doc__ = "Never store this view's pages (Django's never_cache works too)."
store_page = _marking(True)
store_page.__doc__ = "Store this view's pages even when CACHEKEYS['STORE_BY_DEFAULT'] is False."
