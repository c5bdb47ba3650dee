"""``@step`` and ``@steps``: Lettuce's ways to register step definitions."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from lettuce.registry import STEP_REGISTRY

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


def step(regex: str | Callable[..., Any]) -> Any:
    """Register a step definition for ``regex``; ``@step`` alone uses the docstring.

    The function receives Lettuce's ``step`` object first, then the regex's groups:
    positionally, or only as keywords when the regex names them (Lettuce's rule).
    """
    if callable(regex):
        return STEP_REGISTRY.load_func(regex)

    def register(function: F) -> F:
        STEP_REGISTRY.load(regex, function)
        return function

    return register


def bundled_step(regex: str) -> Callable[[F], F]:
    """Register a step shipped with this package: a suite's own steps are matched first."""

    def register(function: F) -> F:
        STEP_REGISTRY.load(regex, function, bundled=True)
        return function

    return register


def steps(steps_class: C) -> C:
    """Register the public methods of each instance of ``steps_class`` as steps.

    As in Lettuce, registration happens when the class is instantiated; each method's
    docstring is its regex, and names listed in an ``exclude`` attribute are skipped.
    """
    original_init = steps_class.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        STEP_REGISTRY.load_steps(self)

    steps_class.__init__ = __init__  # type: ignore[misc]
    return steps_class
