"""Behave's pieces for unit tests of ``lettuce.model`` and ``lettuce.matching``: a parsed step, a context."""
from __future__ import annotations

import contextlib

from behave.parser import parse_steps


def one_step(text: str):
    """Parse one step; an And/But step gets a Given before it, as the parser requires."""
    if text.split()[0] in ("And", "But"):
        return parse_steps("Given something first\n" + text)[1]
    return parse_steps(text)[0]


class FakeContext:
    """Just enough of behave's context for a step function to run."""

    def __init__(self):
        self.executed = []

    @contextlib.contextmanager
    def use_with_user_mode(self):
        yield

    def execute_steps(self, text):
        self.executed.append(text)
        return True


def run(match, context=None):
    context = context or FakeContext()
    match.run(context)
    return context
