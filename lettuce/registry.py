"""Lettuce's two registries: step definitions by regex, and hooks by the moment they run.

The names and shapes are Lettuce 0.2.23's (``lettuce/registry.py``), so a ``terrain.py``
or a step file that reached into them keeps working:

* ``STEP_REGISTRY`` maps a regex to its step function, in registration order. A step
  sentence runs the first definition whose regex is found in it (``re.search``, ignoring
  case, as Lettuce did); registering the same regex again replaces the function.
* ``CALLBACK_REGISTRY[kind][when]`` lists hook functions; a function is registered once
  even when its module is imported twice (Lettuce compared file and line).
* ``call_hook(when, kind, *args)`` runs them in order and lets an exception through.

Nothing here imports Django or behave: ``lettuce.matching`` and ``lettuce.runner`` adapt
these to behave.
"""
from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class StepLoadingError(Exception):
    """A step definition that cannot be registered (its regex does not compile)."""


@dataclass
class StepDefinition:
    """One ``@step`` regex with its function, compiled once, case-insensitive."""

    sentence: str
    function: Callable[..., Any]
    bundled: bool = False  # one of the web steps this package ships (lettuce.webdriver)
    regex: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self.regex = re.compile(self.sentence, re.IGNORECASE)
        except re.error as error:
            raise StepLoadingError(
                f"Error when trying to compile:\n  regex: {self.sentence!r}\n"
                f"  for function: {self.function!r}\n  error: {error}"
            ) from error

    @property
    def location(self) -> str:
        code = getattr(inspect.unwrap(self.function), "__code__", None)
        if code is None:
            return "<unknown>"
        return f"{os.path.relpath(code.co_filename)}:{code.co_firstlineno}"


class StepDict(dict):
    """Step definitions by regex; insertion order is matching order."""

    def load(self, sentence: str, function: Callable[..., Any],
             bundled: bool = False) -> Callable[..., Any]:
        """Register ``function`` for ``sentence`` (a regex) and return it unchanged."""
        if not callable(function):
            raise StepLoadingError(f"{function!r} is not callable")
        # Re-registering a regex replaces its function but keeps its place, as the dict
        # Lettuce used did: a project may override a library step by repeating its regex.
        self[sentence] = StepDefinition(sentence, function, bundled)
        return function

    def load_func(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``function`` under its docstring, else its name in words."""
        return self.load(_sentence_of(function), function)

    def load_steps(self, steps_object: object) -> object:
        """Register every public method of ``steps_object`` (Lettuce's ``@steps`` classes)."""
        excluded = set(getattr(steps_object, "exclude", []))
        for name in dir(steps_object):
            if name.startswith("_") or name in excluded or name == "exclude":
                continue
            method = getattr(steps_object, name)
            if inspect.ismethod(method):
                self.load_func(method)
        return steps_object

    def first_match(self, *texts: str) -> tuple[StepDefinition, re.Match, int] | None:
        """Return the first definition found in any of ``texts``, with its match.

        The int is the index of the text that matched, so the caller can tell a
        match on the sentence with its keyword from one on the bare step text. A
        suite's own definitions are asked before the bundled ones: with Lettuce, the
        web steps were a library a suite imported, never in the way of its own steps.
        """
        for bundled in (False, True):
            for definition in self.values():
                if definition.bundled != bundled:
                    continue
                for index, text in enumerate(texts):
                    matched = definition.regex.search(text)
                    if matched:
                        return definition, matched, index
        return None


def _sentence_of(function: Callable[..., Any]) -> str:
    doc = inspect.getdoc(function)
    if doc:
        return doc
    name = function.__name__.replace("_", " ")
    return name[:1].upper() + name[1:]


def _same_function(one: Callable[..., Any], other: Callable[..., Any]) -> bool:
    one_code = getattr(inspect.unwrap(one), "__code__", None)
    other_code = getattr(inspect.unwrap(other), "__code__", None)
    if one_code is None or other_code is None:
        return one is other
    return (
        os.path.abspath(one_code.co_filename) == os.path.abspath(other_code.co_filename)
        and one_code.co_firstlineno == other_code.co_firstlineno
    )


class CallbackDict(dict):
    """Hook functions by kind (``"scenario"``) and moment (``"before_each"``)."""

    def append_to(self, kind: str, when: str, function: Callable[..., Any]) -> None:
        # A step module imported twice (once by a test, once by harvest) must not run its
        # hooks twice: Lettuce recognised a function by its file and first line.
        if not any(_same_function(known, function) for known in self[kind][when]):
            self[kind][when].append(function)

    def clear(self) -> None:
        for moments in self.values():
            for functions in moments.values():
                functions.clear()


STEP_REGISTRY = StepDict()
CALLBACK_REGISTRY = CallbackDict(
    {
        "all": {"before": [], "after": []},
        "step": {"before_each": [], "after_each": [], "before_output": [], "after_output": []},
        "scenario": {"before_each": [], "after_each": [], "outline": []},
        "outline": {"before_each": [], "after_each": []},
        "background": {"before_each": [], "after_each": []},
        "feature": {"before_each": [], "after_each": []},
        "app": {"before_each": [], "after_each": []},
        "harvest": {"before": [], "after": []},
        "handle_request": {"before": [], "after": []},
        "runserver": {"before": [], "after": []},
    }
)


def call_hook(when: str, kind: str, *args: Any, **kwargs: Any) -> None:
    """Run the hooks registered for ``kind``/``when``, in order; errors propagate."""
    for function in list(CALLBACK_REGISTRY[kind][when]):
        function(*args, **kwargs)


def clear() -> None:
    """Forget every step definition and hook (tests that load step files in-process)."""
    STEP_REGISTRY.clear()
    CALLBACK_REGISTRY.clear()
