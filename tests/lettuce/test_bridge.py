"""Lettuce steps on behave: regex lookup, the step object, snippets, step files, results."""
from __future__ import annotations

import contextlib
import sys
from types import SimpleNamespace

import pytest
from behave.model_type import Status
from behave.parser import parse_feature, parse_steps
from behave.step_registry import StepRegistry

from lettuce import after, before, world
from lettuce.bridge import (
    HarvestHooks,
    HashList,
    LettuceStepRegistry,
    RunServices,
    ScenarioProxy,
    StepProxy,
    TotalResult,
    lettuce_snippets,
    load_step_files,
)
from lettuce.registry import StepDict


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


class TestStepProxy:
    def test_hashes_multiline_and_keys(self):
        step = one_step('Given these posts:\n  | title | tags |\n  | One   | a, b |\n  | Two   |      |\n')
        proxy = StepProxy(step)
        assert proxy.hashes == [{"title": "One", "tags": "a, b"}, {"title": "Two", "tags": ""}]
        assert isinstance(proxy.hashes, HashList)
        assert proxy.hashes.first["title"] == "One" and proxy.hashes.last["title"] == "Two"
        assert proxy.hashes.values_under("title") == ["One", "Two"]
        assert proxy.keys == ("title", "tags")
        assert proxy.multiline == ""

        text = one_step('Given this text:\n  """\n  line one\n  line two\n  """\n')
        assert StepProxy(text).multiline == "line one\nline two"
        assert StepProxy(text).hashes == [] and StepProxy(text).keys == ()

    def test_an_empty_table_has_no_first_row(self):
        with pytest.raises(AssertionError, match="no table rows"):
            HashList(None, []).first

    def test_status_reads_as_lettuce(self):
        step = one_step("Then it works")
        proxy = StepProxy(step)
        assert not proxy.ran and not proxy.passed and not proxy.failed and proxy.why is None
        step.status = Status.failed
        step.exception = AssertionError("it did not")
        step.error_message = "Assertion Failed: it did not"
        assert proxy.ran and proxy.failed and not proxy.passed
        assert proxy.why.cause == "it did not"
        assert proxy.why.traceback == "Assertion Failed: it did not"

    def test_behave_as_and_friends_run_steps_through_behave(self):
        context = FakeContext()
        proxy = StepProxy(one_step("Given a composite step"), context)
        proxy.behave_as('Given I visit "/"\nThen I should see "Home"')
        proxy.given("one")
        proxy.when("two")
        proxy.then("three")
        assert context.executed == ['Given I visit "/"\nThen I should see "Home"',
                                    "Given one", "When two", "Then three"]

    def test_other_attributes_are_behaves(self):
        step = one_step("Given a step")
        assert StepProxy(step).keyword == "Given"
        assert StepProxy(step).step_type == "given"


class TestScenarioProxy:
    FEATURE = """\
@slow
Feature: Tagged
  @wip
  Scenario Outline: Rows
    Given row <n>

    Examples:
      | n |
      | 1 |
"""

    def test_tags_include_the_features_as_in_lettuce(self):
        feature = parse_feature(self.FEATURE)
        [scenario] = feature.walk_scenarios()
        proxy = ScenarioProxy(scenario)
        assert proxy.tags == ["wip", "slow"]
        assert proxy.feature is feature
        assert proxy.outline == {"n": "1"}
        assert [step.sentence for step in proxy.steps] == ["Given row 1"]


class TestSnippets:
    def test_undefined_steps_get_lettuce_style_definitions(self):
        steps = parse_steps('Given I do "this" with "that"\nAnd I do "it" with "them"\nThen a (plain) step')
        snippets = lettuce_snippets(steps)
        assert "from lettuce import step" in snippets
        assert snippets.count("@step(") == 2  # the first two are one regex
        assert "@step(r'^I do \"([^\"]*)\" with \"([^\"]*)\"$')" in snippets
        assert "def i_do_this_with_that(step, group1, group2):" in snippets
        assert r"@step(r'^a \(plain\) step$')" in snippets

    def test_no_undefined_steps_no_snippets(self):
        assert lettuce_snippets([]) == ""


class TestLoadStepFiles:
    def test_every_python_file_under_a_folder_is_imported_once(self, tmp_path, clean_registries):
        registered, _ = clean_registries
        (tmp_path / "sub").mkdir()
        (tmp_path / "helper_mod.py").write_text("VALUE = 'neighbour'\n")
        (tmp_path / "steps.py").write_text(
            "from lettuce import step\nfrom helper_mod import VALUE\n\n"
            "@step(r'^a step$')\ndef a_step(step):\n    return VALUE\n"
        )
        (tmp_path / "sub" / "steps.py").write_text(
            "from lettuce import step\n\n@step(r'^another step$')\ndef another(step):\n    pass\n"
        )
        (tmp_path / "sub" / "__init__.py").write_text("raise RuntimeError('never imported')\n")
        try:
            modules = load_step_files([tmp_path], tmp_path)
            assert len(modules) == 3  # helper_mod, steps, sub/steps: two steps.py, two modules
            assert list(registered) == [r"^a step$", r"^another step$"]
            assert registered[r"^a step$"].function(None) == "neighbour"
            assert load_step_files([tmp_path], tmp_path) == modules  # not imported again
        finally:
            for name in [name for name in sys.modules if name.startswith("harvest_steps.")]:
                del sys.modules[name]
            sys.modules.pop("helper_mod", None)


class TestTotalResult:
    def test_counts_what_ran(self):
        passed = SimpleNamespace(status=Status.passed, location="a.feature:3", name="ok",
                                 all_steps=[SimpleNamespace(status=Status.passed)])
        failed = SimpleNamespace(status=Status.failed, location="a.feature:7", name="bad",
                                 all_steps=[SimpleNamespace(status=Status.passed),
                                            SimpleNamespace(status=Status.failed),
                                            SimpleNamespace(status=Status.skipped)])
        skipped = SimpleNamespace(status=Status.skipped, all_steps=[])
        feature = SimpleNamespace(status=Status.failed,
                                  walk_scenarios=lambda: [passed, failed, skipped])
        untouched = SimpleNamespace(status=Status.skipped, walk_scenarios=lambda: [])
        total = TotalResult.from_features([feature, untouched])
        assert (total.features_ran, total.features_passed) == (1, 0)
        assert (total.scenarios_ran, total.scenarios_passed) == (2, 1)
        assert (total.steps, total.steps_passed, total.steps_failed, total.steps_skipped) == (4, 2, 1, 1)
        assert total.failed_scenario_locations == ["a.feature:7  bad"]
        assert not total.passed


class RecordingServices(RunServices):
    def __init__(self, apps=None):
        self.apps = apps or {}
        self.events = []

    def before_scenario(self):
        self.events.append("clean before")

    def after_scenario(self):
        self.events.append("clean after")

    def save_failure(self, scenario, step):
        self.events.append(f"evidence: {step.name}")

    def app_for(self, feature_filename):
        return self.apps.get(feature_filename)

    def test_case(self):
        return "the test case"


def fake_feature(filename):
    return SimpleNamespace(filename=filename, name=filename, status=Status.passed,
                           walk_scenarios=lambda: [])


def fake_step(name, status=Status.passed):
    return SimpleNamespace(name=name, keyword="Given", status=status, table=None, text=None)


class TestHarvestHooks:
    def setup_method(self):
        self.context = SimpleNamespace(config=SimpleNamespace(setup_logging=lambda: None))

    def test_app_hooks_wrap_the_features_of_each_app(self, clean_registries):
        calls = []
        before.each_app(lambda app: calls.append(("before", app)))
        after.each_app(lambda app, result: calls.append(("after", app, result.features_ran)))
        after.all(lambda total: calls.append(("after.all", total.features_ran)))
        hooks = HarvestHooks(RecordingServices({"blog/1.feature": "blog", "blog/2.feature": "blog"}))
        hooks.before_all(self.context)
        for name in ("blog/1.feature", "blog/2.feature", "features/3.feature"):
            hooks.before_feature(self.context, fake_feature(name))
            hooks.after_feature(self.context, fake_feature(name))
        hooks.after_all(self.context)
        assert calls == [("before", "blog"), ("after", "blog", 2), ("after.all", 0)]

    def test_a_scenario_is_cleaned_around_its_hooks_and_world_forgets_it(self, clean_registries):
        services = RecordingServices()
        before.each_scenario(lambda scenario: services.events.append(f"hook {scenario.name}"))
        after.each_scenario(lambda scenario: services.events.append("hook after"))
        hooks = HarvestHooks(services)
        scenario = SimpleNamespace(name="S", tags=[], effective_tags=set(), status=Status.passed)
        hooks.before_scenario(self.context, scenario)
        world.only_this_scenario = True
        assert self.context.test == "the test case"
        hooks.after_scenario(self.context, scenario)
        assert services.events == ["clean before", "hook S", "hook after", "clean after"]
        assert not hasattr(world, "only_this_scenario")

    def test_evidence_is_kept_once_per_failing_step_not_for_its_sub_steps(self, clean_registries):
        services = RecordingServices()
        hooks = HarvestHooks(services)
        self.context.scenario = SimpleNamespace(background_steps=[])
        outer, inner = fake_step("outer", Status.failed), fake_step("inner", Status.failed)
        passing = fake_step("passing")
        hooks.before_step(self.context, outer)
        hooks.before_step(self.context, inner)  # a step it runs with behave_as
        hooks.after_step(self.context, inner)
        hooks.after_step(self.context, outer)
        hooks.before_step(self.context, passing)
        hooks.after_step(self.context, passing)
        assert services.events == ["evidence: outer"]
        assert hooks.depth == 0
