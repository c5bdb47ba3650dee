"""The seam between harvest and what serves the site in front of Django's live server.

The ``HARVEST_STACK`` setting names a class or function called with the live server's
address (``"127.0.0.1:PORT"``). What it returns is entered as a context manager for the
whole run and must offer:

* ``base_url``: the URL readers use (``world.base_url``, where relative URLs go);
* ``flush()``: forget whatever it cached, called before every scenario;
* ``str(stack)``: what it is, for harvest's opening line ("Nginx and memcached").

It is responsible for pointing Django at whatever it needs (a cache server, say) while it
runs. Without the setting, the browser talks to the live server directly.
"""
from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable
from typing import Any, Protocol


class StackUnavailable(Exception):
    """The stack could not start (a program missing, a port refused)."""


class SiteStack(Protocol):
    base_url: str

    def flush(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> Any: ...


def start_stack(factory: Callable[[str], SiteStack] | None, server: Any,
                cleanup: contextlib.ExitStack) -> SiteStack | None:
    """Start the stack in front of ``server`` (``.address``, ``.port``); stopped by ``cleanup``."""
    if factory is None:
        return None
    try:
        stack = factory(f"{server.address}:{server.port}")
        entered = cleanup.enter_context(stack)
    except (OSError, subprocess.SubprocessError) as error:
        raise StackUnavailable(
            f"HARVEST_STACK ({factory.__module__}.{factory.__qualname__}) could not start: "
            f"{error}. Install what it runs (make setup), or run with -S/--no-server."
        ) from error
    return entered if entered is not None else stack
