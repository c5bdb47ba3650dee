"""Feature files read as Lettuce read them, into behave's model.

behave's Gherkin parser is strict where Lettuce was lenient; this subclass keeps behave's
model (so behave runs, formats and reports) and changes what Lettuce users relied on:

* a step line may start with any word (``Also at ...``, ``Je peux aller ...``): it is a
  step with the generic keyword ``*`` whose sentence is the whole line; an ``And``/``But``
  needs no step before it;
* ``# language: <code>`` takes Lettuce's codes and words (``pt-br``, ``Fonction``,
  ``特性``; ``lettuce.languages``), then behave's own; keywords match ignoring case;
* an inline ``#`` in a step is stripped as Lettuce stripped it;
* a Scenario Outline without Examples runs once, its ``<placeholders>`` as written;
* Lettuce's syntax errors stay errors, with Lettuce's messages: a feature without a
  name, a file with no scenarios, two features in one file, a scenario without a name.

``step.behave_as()`` parses with the feature's parser, so its text follows these rules.
"""
from __future__ import annotations

import re
from pathlib import Path

from behave import i18n, model
from behave.parser import Parser, ParserError

from lettuce.languages import LANGUAGES

SECTIONS = ("feature", "background", "scenario", "scenario_outline", "examples", "rule")
STEP_KINDS = ("given", "when", "then", "and", "but")
# Lettuce's two passes over a step line with '#' (core.REP.comment_strip1/2).
_COMMENT_WITHOUT_QUOTES = re.compile(r"""(^[^'"]*)[#]([^'"]*)$""")
_COMMENT_BEFORE_QUOTES = re.compile(r"""(^[^'"]+)[#](.*)$""")


class LettuceSyntaxError(Exception):
    """A feature file Lettuce refused; the message is Lettuce's, after the file name."""

    def __init__(self, filename: str | None, message: str) -> None:
        self.filename = filename
        self.message = message
        super().__init__(f"Syntax error at: {filename}\n{message}" if filename else message)


def _unique(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


def keywords_for(code: str) -> dict[str, list[str]]:
    """Return behave-style keyword lists for a Lettuce (or behave) language code."""
    lettuce = LANGUAGES.get(code)
    behave_code = lettuce.behave if lettuce else code
    behave_words = i18n.languages.get(behave_code)
    if lettuce is None and behave_words is None:
        raise LettuceSyntaxError(None, (
            f'Unknown language "{code}" in "# language: {code}". Lettuce knew: '
            f"{', '.join(sorted(LANGUAGES))}; behave also knows behave's own codes "
            f"(e.g. {', '.join(sorted(set(i18n.languages) - set(LANGUAGES))[:8])}...)."
        ))
    behave_words = behave_words or i18n.languages["en"]
    table: dict[str, list[str]] = {}
    for section in SECTIONS:
        own = list(getattr(lettuce, section, ())) if lettuce else []
        table[section] = _unique(own + list(behave_words.get(section, [])))
    for kind in STEP_KINDS:
        table[kind] = _unique(["* ", *behave_words.get(kind, [])])
    return table


def strip_inline_comment(line: str) -> str:
    line = _COMMENT_WITHOUT_QUOTES.sub(r"\g<1>\g<2>", line)
    return _COMMENT_BEFORE_QUOTES.sub(r"\g<1>", line)


class LettuceParser(Parser):
    """behave's parser with Lettuce's leniency and Lettuce's syntax errors."""

    def reset(self, filename=None):  # noqa: ANN001 - behave's signature
        code = self.language or "en"
        super().reset(filename)
        self.language = code
        self.keywords = keywords_for(code)

    def action(self, line: str) -> None:
        stripped = line.strip()
        if (self.feature is not None and self.state.name != "MULTILINE_TEXT"
                and self.match_keyword("feature", stripped)):
            raise LettuceSyntaxError(self.filename, "A feature file must contain ONLY ONE feature!")
        if stripped.startswith("#") and self.state.name == "INITIAL" and not self.tags:
            comment = stripped[1:].strip()
            if comment.lower().startswith("language:"):
                self.language = comment[len("language:"):].strip()
                try:
                    self.keywords = keywords_for(self.language)
                except LettuceSyntaxError as error:
                    raise LettuceSyntaxError(self.filename, error.message) from None
                return
        super().action(line)

    def match_keyword(self, keyword: str, line: str) -> str | None:
        folded = line.casefold()
        for alias in self.keywords[keyword]:
            if folded.startswith(alias.casefold() + ":"):
                return line[:len(alias)]
        return None

    def _build_feature(self, keyword, line):  # noqa: ANN001
        if self.feature is not None:
            raise LettuceSyntaxError(self.filename, "A feature file must contain ONLY ONE feature!")
        if not re.match(r"\s*\w", line[len(keyword) + 1:]):
            raise LettuceSyntaxError(
                self.filename, 'Features must have a name. e.g: "Feature: This is my name"')
        super()._build_feature(keyword, line)

    def _check_scenario_name(self, keyword: str, line: str) -> None:
        if not line[len(keyword) + 1:].strip():
            name = self.feature.name if self.feature else ""
            raise LettuceSyntaxError(self.filename, (
                f'In the feature "{name}", scenarios must have a name, make sure to '
                f"declare a scenario like this: `{keyword}: name of your scenario`"))

    def _build_scenario_statement(self, keyword, line):  # noqa: ANN001
        if self.variant == "feature":
            self._check_scenario_name(keyword, line)
        super()._build_scenario_statement(keyword, line)

    def _build_scenario_outline_statement(self, keyword, line):  # noqa: ANN001
        self._check_scenario_name(keyword, line)
        super()._build_scenario_outline_statement(keyword, line)

    def _is_statement(self, line: str) -> bool:
        return line.startswith(("@", "|", '"""', "'''", "#")) or any(
            self.match_keyword(section, line) for section in SECTIONS)

    def parse_step(self, line: str):  # noqa: ANN201 - behave's Step or None
        if "#" in line:
            line = strip_inline_comment(line).strip()
        if self.last_step_type is None:
            # Lettuce had no step types: an And/But (or any line) may come first.
            self.last_step_type = self._select_last_background_step_type() or "given"
        step = super().parse_step(line)
        if step is not None or not line or self._is_statement(line):
            return step
        # Any other line is a step, as in Lettuce: its sentence is the whole line.
        return model.Step(self.filename, self.line, "*", self.last_step_type, line)

    def parse(self, text, filename=None):  # noqa: ANN001
        feature = super().parse(text, filename)
        if feature is None:
            raise LettuceSyntaxError(
                filename, 'Features must have a name. e.g: "Feature: This is my name"')
        _run_outlines_without_examples(feature)
        has_scenarios = feature.scenarios or any(rule.scenarios for rule in feature.rules)
        if not has_scenarios and not feature.description and feature.background is None:
            raise LettuceSyntaxError(filename, (
                "Features must have scenarios.\nPlease refer to the documentation "
                "available at http://lettuce.it for more information."))
        return feature


def _run_outlines_without_examples(feature: model.Feature) -> None:
    """Replace each Scenario Outline that has no Examples by a plain scenario (Lettuce ran it once)."""
    for container in [feature, *getattr(feature, "rules", [])]:
        for index, scenario in enumerate(container.scenarios):
            if isinstance(scenario, model.ScenarioOutline) and not any(
                    examples.table and examples.table.rows for examples in scenario.examples):
                plain = model.Scenario(scenario.filename, scenario.line, scenario.keyword,
                                       scenario.name, tags=scenario.tags, steps=scenario.steps,
                                       description=scenario.description)
                plain.feature = feature
                plain.parent = scenario.parent
                plain.background = scenario.background
                container.scenarios[index] = plain
                container.run_items = [plain if item is scenario else item
                                       for item in container.run_items]


def parse_file(filename: str | Path) -> model.Feature:
    """Parse one ``.feature`` file as Lettuce would; raise ``LettuceSyntaxError`` if it refused it."""
    text = Path(filename).read_text(encoding="utf-8")
    parser = LettuceParser()
    try:
        return parser.parse(text, str(filename))
    except ParserError as error:
        raise LettuceSyntaxError(str(filename), str(error)) from None
