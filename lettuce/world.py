"""``world``: the one object steps and hooks share, as in Lettuce, with scenario scopes.

Lettuce's ``world`` kept everything for the whole run, so one scenario's leftovers could
make the next one pass or fail. Here ``world`` keeps what is set outside any scenario
(at import of ``terrain.py``, in ``before.all`` or ``before.harvest``), keeps what a
feature's hooks set until that feature ends, and forgets what a scenario (its hooks and
steps) added when the scenario ends. An attribute that existed before is left as the
scenario changed it: dropping it could leave a hook's object half torn down.

``world.browser`` is the run's one WebDriver, started on first use so features that never
browse never pay for Firefox. A ``terrain.py`` that sets ``world.browser`` itself (Lettuce
style) replaces it; harvest then resets that driver between scenarios but never quits it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class BrowserProvider(Protocol):
    """What ``world.browser`` needs from ``lettuce.browser.BrowserSession``."""

    @property
    def driver(self) -> Any: ...

    def adopt(self, driver: Any) -> None: ...


class World:
    def __init__(self) -> None:
        object.__setattr__(self, "_scopes", [])
        object.__setattr__(self, "_browser_provider", None)

    @property
    def browser(self) -> Any:
        provider = self._browser_provider
        if provider is None:
            # AttributeError keeps hasattr(world, "browser") False, as in Lettuce.
            raise AttributeError(
                "world.browser: no browser in this run (harvest -S/--no-server starts none)"
            )
        return provider.driver

    @browser.setter
    def browser(self, driver: Any) -> None:
        if self._browser_provider is None:
            raise AttributeError("world.browser can only be set while harvest runs")
        self._browser_provider.adopt(driver)

    def absorb(self, thing: Any, name: str | None = None) -> Any:
        """Put ``thing`` on world under ``name`` (default: its ``__name__``); a decorator."""
        setattr(self, name if isinstance(name, str) else thing.__name__, thing)
        return thing

    def spew(self, name: str) -> Any:
        """Remove ``name`` from world and return it (None when absent)."""
        if name in self.__dict__:
            return self.__dict__.pop(name)
        return None

    def _use_browser(self, provider: BrowserProvider | None) -> None:
        object.__setattr__(self, "_browser_provider", provider)

    def _push(self) -> None:
        """Open a scope: what is added from now on is dropped by the matching ``_pop``."""
        self._scopes.append(set(self.__dict__))

    def _pop(self) -> None:
        known = self._scopes.pop()
        for name in set(self.__dict__) - known:
            del self.__dict__[name]

    def __repr__(self) -> str:
        public = sorted(name for name in self.__dict__ if not name.startswith("_"))
        return f"<world: {', '.join(public) or 'empty'}>"


world = World()


def absorb(thing: Any, name: str | None = None) -> Any:
    return world.absorb(thing, name)


spew: Callable[[str], Any] = world.spew
