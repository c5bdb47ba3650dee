"""Feature files read as Lettuce read them (lettuce.parser), into behave's model."""
from __future__ import annotations

import pytest
from behave import model

from lettuce.languages import LANGUAGES
from lettuce.parser import LettuceParser, LettuceSyntaxError, parse_file


def parse(text: str) -> model.Feature:
    return LettuceParser().parse(text, "example.feature")


def steps_of(feature: model.Feature) -> list[tuple[str, str]]:
    return [(step.keyword, step.name) for scenario in feature.walk_scenarios()
            for step in scenario.steps]


class TestAnyFirstWord:
    def test_a_step_may_start_with_any_word_and_keeps_its_whole_line(self):
        feature = parse("Feature: F\n  Scenario: S\n    Given one\n    Also two\n    "
                        "finally three\n")
        assert steps_of(feature) == [("Given", "one"), ("*", "Also two"), ("*", "finally three")]

    def test_and_may_come_first(self):
        assert steps_of(parse("Feature: F\n  Scenario: S\n    And one\n")) == [("And", "one")]

    def test_tables_docstrings_and_keywords_are_not_steps(self):
        feature = parse('Feature: F\n  Scenario: S\n    rows:\n      | a |\n      | 1 |\n'
                        '    text:\n      """\n      hello\n      """\n  Scenario: T\n    x\n')
        first, second = feature.scenarios
        assert [step.name for step in first.steps] == ["rows:", "text:"]
        assert first.steps[0].table.headings == ["a"] and first.steps[1].text == "hello"
        assert [step.name for step in second.steps] == ["x"]

    def test_an_inline_comment_is_stripped_as_lettuce_did(self):
        # Lettuce's two regexes: a '#' before quotes ends the step; after quotes it stays.
        feature = parse('Feature: F\n  Scenario: S\n    Given I have 3 # "quoted"\n'
                        '    And I see "a" # b\n')
        assert steps_of(feature) == [("Given", "I have 3"), ("And", 'I see "a" # b')]


class TestLanguages:
    @pytest.mark.parametrize("code, text, names", [
        ("pt-br", "Funcionalidade: F\n  Cenário: S\n    Dado um passo\n    outro passo\n",
         [("Dado", "um passo"), ("*", "outro passo")]),
        ("fr", "Fonction: F\n  Plan du Scénario: S\n    Soit <x>\n  Exemples:\n    | x |\n"
               "    | 1 |\n", [("Soit", "1")]),
        ("zh-CN", "特性: F\n  场景: S\n    假如 一步\n", [("假如", "一步")]),
        ("zh-TW", "特性: F\n  場景: S\n    假如 一步\n", [("假如", "一步")]),
        ("cz", "Požadavek: F\n  Scénář: S\n    Pokud krok\n", [("Pokud", "krok")]),
    ])
    def test_lettuces_codes_and_words(self, code, text, names):
        feature = parse(f"# -*- coding: utf-8 -*-\n# language: {code}\n{text}")
        assert feature.name == "F"
        assert steps_of(feature) == names

    def test_every_language_lettuce_shipped_is_known(self):
        assert len(LANGUAGES) == 18
        for code, language in LANGUAGES.items():
            words = language.feature[0]
            feature = parse(f"# language: {code}\n{words}: F\n  {language.scenario[0]}: S\n    x\n")
            assert [step.name for step in feature.scenarios[0].steps] == ["x"], code

    def test_keywords_match_ignoring_case(self):
        feature = parse("# language: fr\nFonctionnalité: F\n  plan du scénario: S\n    Soit <x>\n"
                        "  exemples:\n    | x |\n    | 1 |\n")
        assert steps_of(feature) == [("Soit", "1")]

    def test_an_unknown_language_is_a_clear_error(self):
        with pytest.raises(LettuceSyntaxError, match='Unknown language "xx-yy".*Lettuce knew: ca, cz'):
            parse("# language: xx-yy\nFeature: F\n  Scenario: S\n    x\n")

    def test_behaves_own_codes_still_work(self):
        feature = parse("# language: nl\nFunctionaliteit: F\n  Scenario: S\n    Gegeven x\n")
        assert steps_of(feature) == [("Gegeven", "x")]


class TestOutlines:
    def test_an_outline_without_examples_runs_once_as_written(self):
        feature = parse("Feature: F\n  Scenario Outline: S\n    Given I have <n>\n")
        [scenario] = list(feature.walk_scenarios())
        assert isinstance(scenario, model.Scenario)
        assert [step.name for step in scenario.steps] == ["I have <n>"]

    def test_an_outline_with_examples_is_behaves(self):
        feature = parse("Feature: F\n  Scenario Outline: S\n    Given <n>\n  Examples:\n"
                        "    | n |\n    | 1 |\n    | 2 |\n")
        assert [step.name for step in feature.walk_scenarios() for step in step.steps] == ["1", "2"]


class TestSyntaxErrors:
    @pytest.mark.parametrize("text, message", [
        ("Feature:\n  Scenario: S\n    x\n", 'Features must have a name. e.g: "Feature: This is my name"'),
        ("Feature: F\n", "Features must have scenarios.\nPlease refer to the documentation"),
        ("Feature: A\n  Scenario: S\n    x\nFeature: B\n  Scenario: T\n    y\n",
         "A feature file must contain ONLY ONE feature!"),
        ("Feature: F\n  Scenario:\n    x\n", 'In the feature "F", scenarios must have a name'),
    ])
    def test_lettuce_refused_these_with_its_message(self, text, message):
        with pytest.raises(LettuceSyntaxError) as error:
            parse(text)
        assert str(error.value).startswith("Syntax error at: example.feature\n" + message)

    def test_behaves_own_errors_name_the_file(self, tmp_path):
        broken = tmp_path / "broken.feature"
        broken.write_text("Feature: F\n  Scenario: S\n    Given x\n      | a |\n      | 1 | 2 |\n")
        with pytest.raises(LettuceSyntaxError, match=f"Syntax error at: {broken}"):
            parse_file(broken)


class TestBehaveAs:
    def test_steps_without_keywords_parse(self):
        parser = LettuceParser()
        parser.parse("Feature: F\n  Scenario: S\n    x\n", "f.feature")
        parser.variant = "steps"
        steps = parser.parse_steps("first thing\nAnd second\n  | a |\n  | 1 |\nthird")
        assert [(step.keyword, step.name) for step in steps] == [
            ("*", "first thing"), ("And", "second"), ("*", "third")]
        assert steps[1].table.headings == ["a"]
