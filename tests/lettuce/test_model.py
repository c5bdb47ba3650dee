"""The objects Lettuce handed to steps and hooks: step, scenario, results."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from behave.model_type import Status
from behave.parser import parse_feature

from lettuce.model import HarvestSummary, HashList, ScenarioProxy, StepProxy, TotalResult
from tests.lettuce.behave_fakes import FakeContext, one_step


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




class TestHarvestSummary:
    def test_it_is_lettuces_list_of_results_with_totals(self):
        first, second = TotalResult(scenarios_ran=2, scenarios_passed=2, steps=4, steps_passed=4), \
            TotalResult(scenarios_ran=1, steps=2, steps_passed=1, steps_failed=1,
                        failed_scenario_locations=["b.feature:3  x"])
        summary = HarvestSummary([first, second])
        assert len(summary) == 2 and summary[0] is first and list(summary) == [first, second]
        assert (summary.scenarios_ran, summary.steps_failed) == (3, 1)
        assert not summary.is_success and first.is_success
