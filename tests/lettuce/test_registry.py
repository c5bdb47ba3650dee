"""The hook and step registries, ``world``, and the decorators that fill them."""
from __future__ import annotations

import pytest

from lettuce import after, before, step, steps, world
from lettuce.registry import StepDict, StepLoadingError, call_hook, clear
from lettuce.world import World


class TestHookRegistry:
    def test_each_decorator_registers_where_lettuce_kept_it(self, clean_registries):
        _, hooks = clean_registries
        placements = [
            (before.all, "all", "before"), (after.all, "all", "after"),
            (before.harvest, "harvest", "before"), (after.harvest, "harvest", "after"),
            (before.each_feature, "feature", "before_each"),
            (after.each_feature, "feature", "after_each"),
            (before.each_scenario, "scenario", "before_each"),
            (after.each_scenario, "scenario", "after_each"),
            (before.each_background, "background", "before_each"),
            (after.each_background, "background", "after_each"),
            (before.each_step, "step", "before_each"), (after.each_step, "step", "after_each"),
            (before.each_app, "app", "before_each"), (after.each_app, "app", "after_each"),
            (before.runserver, "runserver", "before"), (after.runserver, "runserver", "after"),
            (before.handle_request, "handle_request", "before"),
            (after.handle_request, "handle_request", "after"),
            (before.outline, "scenario", "outline"),
        ]
        for decorator, kind, when in placements:
            def hook(*args):
                pass
            assert decorator(hook) is hook
            assert hooks[kind][when] == [hook], (kind, when)

    def test_hooks_run_in_registration_order_with_their_arguments(self, clean_registries):
        calls = []

        @before.each_scenario
        def first(scenario):
            calls.append(("first", scenario))

        @before.each_scenario
        def second(scenario):
            calls.append(("second", scenario))

        call_hook("before_each", "scenario", "the scenario")
        assert calls == [("first", "the scenario"), ("second", "the scenario")]

    def test_a_function_registers_once_even_if_its_module_runs_twice(self, clean_registries):
        _, hooks = clean_registries

        def make():
            def hook():
                pass
            return hook

        before.all(make())
        before.all(make())  # same file and line: what a re-imported module produces
        assert len(hooks["all"]["before"]) == 1

    def test_a_hook_error_propagates(self, clean_registries):
        @after.all
        def broken(total):
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            call_hook("after", "all", None)

    def test_clear_forgets_steps_and_hooks(self, clean_registries):
        registered_steps, hooks = clean_registries

        @step(r"^something$")
        def something(step):
            pass

        @before.all
        def hook():
            pass

        clear()
        assert not registered_steps
        assert not any(functions for moments in hooks.values() for functions in moments.values())


class TestStepRegistry:
    def test_step_registers_its_regex_in_order(self, clean_registries):
        registered, _ = clean_registries

        @step(r'^I am at "([^"]*)"$')
        def visit(step, url):
            pass

        @step(r"^I wait$")
        def wait(step):
            pass

        assert list(registered) == [r'^I am at "([^"]*)"$', r"^I wait$"]
        assert registered[r"^I wait$"].function is wait

    def test_the_same_regex_again_replaces_the_function_in_place(self, clean_registries):
        registered, _ = clean_registries
        step(r"^one$")(lambda step: None)
        step(r"^two$")(lambda step: None)

        def override(step):
            pass

        step(r"^one$")(override)
        assert list(registered) == [r"^one$", r"^two$"]
        assert registered[r"^one$"].function is override

    def test_a_bad_regex_is_refused_when_registered(self, clean_registries):
        with pytest.raises(StepLoadingError, match="unterminated"):
            step(r"^I have (\d+$")(lambda step, n: None)

    def test_matching_ignores_case_and_searches_anywhere(self):
        registry = StepDict()
        registry.load(r'I am at "([^"]*)"', lambda step, url: None)
        definition, matched, which = registry.first_match('Given I AM AT "/"')
        assert matched.groups() == ("/",)
        assert which == 0
        assert registry.first_match("Given I am somewhere else") is None

    def test_the_first_registered_match_wins(self):
        registry = StepDict()
        registry.load(r"I see (.*)", lambda step, what: None)
        registry.load(r"I see the (.*)", lambda step, what: None)
        definition, _, _ = registry.first_match("Then I see the light")
        assert definition.sentence == r"I see (.*)"

    def test_a_step_without_a_regex_uses_its_docstring(self, clean_registries):
        registered, _ = clean_registries

        @step
        def the_light(step):
            """^I see the light$"""

        assert registered[r"^I see the light$"].function is the_light

    def test_a_steps_class_registers_its_methods_when_instantiated(self, clean_registries):
        registered, _ = clean_registries

        @steps
        class Counting:
            exclude = ["helper"]

            def __init__(self, start):
                self.count = start

            def add(self, step, number):
                r"""^I add (\d+)$"""
                self.count += int(number)

            def helper(self):
                """^never a step$"""

        assert not registered  # nothing until an instance exists
        counting = Counting(1)
        assert list(registered) == [r"^I add (\d+)$"]
        registered[r"^I add (\d+)$"].function(None, "2")
        assert counting.count == 3


class TestWorld:
    def test_a_scope_forgets_what_it_added_and_keeps_what_was_there(self):
        scoped = World()
        scoped.harvest_wide = "kept"
        scoped._push()
        scoped.harvest_wide = "changed in the scenario"
        scoped.fruit = "apple"
        scoped._pop()
        assert scoped.harvest_wide == "changed in the scenario"
        assert not hasattr(scoped, "fruit")

    def test_scopes_nest_feature_then_scenario(self):
        scoped = World()
        scoped._push()  # feature
        scoped.feature_wide = 1
        scoped._push()  # scenario
        scoped.scenario_wide = 2
        scoped._pop()
        assert scoped.feature_wide == 1 and not hasattr(scoped, "scenario_wide")
        scoped._pop()
        assert not hasattr(scoped, "feature_wide")

    def test_absorb_and_spew(self):
        scoped = World()

        @scoped.absorb
        def helper():
            return 42

        assert scoped.helper() == 42
        scoped.absorb(7, "seven")
        assert scoped.spew("seven") == 7
        assert not hasattr(scoped, "seven")
        assert scoped.spew("missing") is None

    def test_without_harvest_there_is_no_browser(self):
        assert not hasattr(World(), "browser")
        with pytest.raises(AttributeError, match="only be set while harvest runs"):
            World().browser = object()

    def test_the_browser_comes_from_the_provider_and_can_be_replaced(self):
        class Provider:
            def __init__(self):
                self.driver = "started on demand"

            def adopt(self, driver):
                self.driver = driver

        scoped = World()
        scoped._use_browser(Provider())
        assert scoped.browser == "started on demand"
        scoped.browser = "the terrain's own driver"
        assert scoped.browser == "the terrain's own driver"
        assert "browser" not in vars(scoped)  # so no scope ever drops it

    def test_the_module_world_is_lettuces(self):
        from lettuce.terrain import world as terrain_world

        assert world is terrain_world
