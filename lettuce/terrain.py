"""``before`` and ``after``: Lettuce's hook decorators, registering into ``CALLBACK_REGISTRY``.

``@before.each_scenario`` and friends behave as in Lettuce 0.2.23; ``lettuce.runner``
says when each one runs and with what.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lettuce.registry import CALLBACK_REGISTRY
from lettuce.world import world

Hook = Callable[..., Any]


class main:
    """The moments shared by ``before`` and ``after`` (the subclass name picks which)."""

    @classmethod
    def all(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("all", cls.__name__, function)
        return function

    @classmethod
    def each_step(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("step", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def each_scenario(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("scenario", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def each_background(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("background", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def each_feature(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("feature", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def harvest(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("harvest", cls.__name__, function)
        return function

    @classmethod
    def each_app(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("app", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def runserver(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("runserver", cls.__name__, function)
        return function

    @classmethod
    def handle_request(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("handle_request", cls.__name__, function)
        return function

    @classmethod
    def each_outline(cls, function: Hook) -> Hook:
        CALLBACK_REGISTRY.append_to("outline", f"{cls.__name__}_each", function)
        return function

    @classmethod
    def step_output(cls, function: Hook) -> Hook:
        # Lettuce's output plugins' moments; harvest's output is behave's, so these run
        # around each step's own hooks: before_output before it, after_output after it.
        CALLBACK_REGISTRY.append_to("step", f"{cls.__name__}_output", function)
        return function

    @classmethod
    def outline(cls, function: Hook) -> Hook:
        # Lettuce kept one list for before.outline and after.outline: both run after
        # each example row, with (scenario, order, outline, reasons_to_fail).
        CALLBACK_REGISTRY.append_to("scenario", "outline", function)
        return function


class before(main):
    pass


class after(main):
    pass


__all__ = ["after", "before", "world"]
