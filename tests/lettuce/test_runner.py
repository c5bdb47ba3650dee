"""Lettuce's hooks around behave's run: apps, scenarios and outlines, steps."""
from __future__ import annotations

from types import SimpleNamespace

from behave.model_type import Status

from lettuce import after, before, world
from lettuce.runner import HarvestHooks, RunServices


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
        scenario = SimpleNamespace(name="S", tags=[], effective_tags=set(), status=Status.passed,
                                   all_steps=[])
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
