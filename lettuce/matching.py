"""Which step definition runs a step, and the snippets proposed for undefined steps.

``LettuceStepRegistry`` is behave's step registry asking Lettuce's ``STEP_REGISTRY``
first, then behave's own (so behave-style ``@given`` steps still work). A Lettuce regex
is searched, ignoring case, in the step's sentence *with* its keyword, as Lettuce did
(``@step('Given I have (\\d+) bars')`` works), then in the text without it (so
``@step(r'^I am at "([^"]*)"$')`` works too). A suite's own steps are asked before the
bundled web steps (``lettuce.webdriver``), so a suite that defines ``I click "done"``
itself gets its own. The function gets a ``StepProxy`` (Lettuce's ``step``) and the
groups: positionally, or only by name when the regex names them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from behave.matchers import Match
from behave.model import Step as BehaveStep
from behave.model_type import Argument, FileLocation
from behave.step_registry import StepRegistry
from behave.step_registry import registry as behave_registry

from lettuce.model import GENERIC_KEYWORD, StepProxy, sentence_of
from lettuce.registry import STEP_REGISTRY, StepDict


class LettuceStepRegistry(StepRegistry):
    """behave's step registry, asking Lettuce's ``STEP_REGISTRY`` first."""

    def __init__(self, lettuce_steps: StepDict = STEP_REGISTRY,
                 behave_steps: StepRegistry = behave_registry) -> None:
        super().__init__()
        self.lettuce_steps = lettuce_steps
        self.steps = behave_steps.steps  # behave-style step modules register there

    def find_match(self, step: BehaveStep) -> Match | None:
        return self.find_lettuce_match(step) or super().find_match(step)

    def find_lettuce_match(self, step: BehaveStep) -> Match | None:
        sentence = sentence_of(step)
        found = self.lettuce_steps.first_match(sentence, step.name)
        if found is None:
            return None
        definition, matched, which = found
        # Positions let formatters highlight the arguments in the step text (no keyword).
        offset = len(sentence) - len(step.name) if which == 0 else 0

        def span(group: int | str) -> tuple[int, int]:
            start, end = matched.span(group)
            return max(start - offset, 0), max(end - offset, 0)

        named = matched.groupdict()
        if named:
            # Lettuce's rule: named groups go as keywords, and then only those.
            index_of = matched.re.groupindex
            arguments = [Argument(*span(index_of[name]), value, value, name)
                         for name, value in named.items()]
        else:
            arguments = [Argument(*span(index), value, value)
                         for index, value in enumerate(matched.groups(), start=1)]

        function = definition.function

        def run_lettuce_step(context: Any, *args: Any, **kwargs: Any) -> None:
            function(StepProxy(step, context), *args, **kwargs)

        match = Match(run_lettuce_step, arguments)
        match.location = FileLocation.for_function(function)
        return match


# -- snippets ---------------------------------------------------------------------------

# Lettuce grouped "double-quoted" values of an undefined step, then 'single-quoted' ones.
_DOUBLE_QUOTED = re.compile(r'("[^"]*")')
_SINGLE_QUOTED = re.compile(r"('[^']+')")
_GROUP_FOR = {'"': '"([^"]*)"', "'": "'([^']*)'"}


def _quoted_parts(text: str) -> list[tuple[str, bool]]:
    parts = []
    for index, part in enumerate(_DOUBLE_QUOTED.split(text)):
        if index % 2:
            parts.append((part, True))
        else:
            parts += [(piece, bool(inner % 2))
                      for inner, piece in enumerate(_SINGLE_QUOTED.split(part))]
    return parts


def proposed_definition(text: str) -> tuple[str, str, int]:
    """Return (regex, function name, group count) Lettuce would propose for ``text``."""
    regex, name_words, groups = [], [], 0
    for part, quoted in _quoted_parts(text):
        if quoted:
            groups += 1
            regex.append(_GROUP_FOR[part[0]])
            name_words.append(f"group{groups}")
        else:
            regex.append(re.escape(part).replace("\\ ", " "))
            name_words.append(part)
    ascii_name = unicodedata.normalize("NFKD", " ".join(name_words)).encode("ascii", "ignore").decode()
    name = "_".join(re.findall(r"\w+", ascii_name)).lower()[:70] or "undefined_step"
    if name[0].isdigit():
        name = f"step_{name}"
    return "".join(regex), name, groups


def python_raw_string(text: str) -> str:
    """Return ``text`` as a raw string literal that Python accepts (for a regex)."""
    if "'" not in text:
        return f"r'{text}'"
    if '"' not in text and not text.endswith("\\"):
        return f'r"{text}"'
    # A backslash before a quote keeps a raw literal open; in a regex \\' is just '.
    return "r'" + text.replace("'", "\\'") + "'"


def lettuce_snippets(steps: Iterable[BehaveStep]) -> str:
    """Return Lettuce-style step definitions to paste for undefined steps."""
    seen: set[str] = set()
    chunks = []
    for step in steps:
        pattern, name, count = proposed_definition(step.name)
        if pattern in seen:
            continue
        seen.add(pattern)
        params = "".join(f", group{n}" for n in range(1, count + 1))
        chunks.append(f"@step({python_raw_string(f'^{pattern}$')})\ndef {name}(step{params}):\n"
                      "    assert False, 'This step must be implemented'\n")
    if not chunks:
        return ""
    return ("You can implement step definitions for undefined steps with these snippets:\n\n"
            "from lettuce import step\n\n" + "\n".join(chunks))


__all__ = ["GENERIC_KEYWORD", "LettuceStepRegistry", "lettuce_snippets", "proposed_definition"]
