"""Which definition runs a step (regex lookup, suite before bundled), and the snippets."""
from __future__ import annotations

import re

from behave.parser import parse_steps
from behave.step_registry import StepRegistry

from lettuce.matching import LettuceStepRegistry, lettuce_snippets
from lettuce.model import StepProxy
from lettuce.registry import StepDict
from tests.lettuce.behave_fakes import one_step, run


class TestStepLookup:
    def setup_method(self):
        self.lettuce_steps = StepDict()
        self.registry = LettuceStepRegistry(self.lettuce_steps, StepRegistry())
        self.calls = []

    def define(self, regex):
        def function(step, *args, **kwargs):
            self.calls.append((step, args, kwargs))
        self.lettuce_steps.load(regex, function)
        return function

    def test_a_regex_gets_lettuces_step_and_the_groups(self):
        self.define(r'^I fill in "([^"]*)" with "([^"]*)"$')
        match = self.registry.find_match(one_step('When I fill in "Title" with "Hello"'))
        run(match)
        [(step, args, kwargs)] = self.calls
        assert isinstance(step, StepProxy)
        assert step.sentence == 'When I fill in "Title" with "Hello"'
        assert args == ("Title", "Hello") and kwargs == {}

    def test_named_groups_are_passed_as_keywords_only(self):
        self.define(r'^I have (?P<count>\d+) apples? named "(?P<name>[^"]*)"$')
        run(self.registry.find_match(one_step('Given I have 3 apples named "Gala"')))
        [(_, args, kwargs)] = self.calls
        assert args == () and kwargs == {"count": "3", "name": "Gala"}

    def test_a_regex_may_include_the_keyword_as_lettuces_snippets_did(self):
        self.define(r"Then I see the light")
        assert self.registry.find_match(one_step("Then I see the light")) is not None
        # As in Lettuce, the keyword is part of the sentence: "And" is another sentence.
        assert self.registry.find_match(one_step("And I see the light")) is None

    def test_an_anchored_regex_matches_the_text_without_keyword(self):
        self.define(r'^I am at "([^"]*)"$')
        for sentence in ('Given I am at "/"', 'And I am at "/"', 'But I am at "/"'):
            assert self.registry.find_match(one_step(sentence)) is not None, sentence

    def test_matching_ignores_case(self):
        self.define(r"^the page title should be \"([^\"]*)\"$")
        run(self.registry.find_match(one_step('Then The Page Title Should Be "Home"')))
        assert self.calls[0][1] == ("Home",)

    def test_argument_positions_are_within_the_step_text(self):
        self.define(r'I visit "([^"]*)"')
        step = one_step('Given I visit "/about/"')
        [argument] = self.registry.find_match(step).arguments
        assert step.name[argument.start:argument.end] == "/about/"

    def test_the_location_is_the_step_functions(self):
        function = self.define(r"^I wait$")
        match = self.registry.find_match(one_step("When I wait"))
        assert match.location.line == function.__code__.co_firstlineno

    def test_unknown_steps_fall_back_to_behave_then_to_nothing(self):
        behave_steps = StepRegistry()
        behave_steps.add_step_definition("given", "a behave step", lambda context: None)
        registry = LettuceStepRegistry(self.lettuce_steps, behave_steps)
        assert registry.find_match(one_step("Given a behave step")) is not None
        assert registry.find_match(one_step("Given nobody defined this")) is None


class TestSnippets:
    def test_undefined_steps_get_lettuce_style_definitions(self):
        steps = parse_steps('Given I do "this" with "that"\nAnd I do "it" with "them"\nThen a (plain) step')
        snippets = lettuce_snippets(steps)
        assert "from lettuce import step" in snippets
        assert snippets.count("@step(") == 2  # the first two are one regex
        assert "@step(r'^I do \"([^\"]*)\" with \"([^\"]*)\"$')" in snippets
        assert "def i_do_group1_with_group2(step, group1, group2):" in snippets
        assert r"@step(r'^a \(plain\) step$')" in snippets

    def test_no_undefined_steps_no_snippets(self):
        assert lettuce_snippets([]) == ""




class TestSuiteStepsFirst:
    def test_a_suites_step_wins_over_a_bundled_one_registered_before_it(self):
        steps = StepDict()
        steps.load(r'I click "(.*?)"$', lambda step, name: "bundled", bundled=True)
        steps.load(r'^I click "([^"]*)"$', lambda step, name: "mine")
        definition, _, _ = steps.first_match('When I click "done"', 'I click "done"')
        assert definition.function(None, "done") == "mine"
        assert steps.first_match("I click by id", "x") is None
