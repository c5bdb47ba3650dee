"""behave's runner with Lettuce's hooks around harvest's own work.

Hooks (``lettuce.terrain``), and when behave's run calls them:

============================  =========================================================
``before.harvest(variables)``  once, before behave starts (``lettuce.harvest``)
``before.all()``               behave ``before_all``
``before.each_app(module)``    before the first feature of an app's ``features/``
``before.each_feature(f)``     behave ``before_feature``
``before.each_scenario(s)``    before a scenario; an outline's once, before its first row
``before.each_outline(s, row)`` before each example row
``before.each_background(b)``  before a scenario's (or row's) first background step
``before.each_step(step)``     before each step, also one skipped after a failure
``after.each_step(step)``      after each step, also a skipped or undefined one
``after.each_background(b, r)`` after the last background step (r: passed flags)
``after.outline(s, i, row, r)`` after each example row (``before.outline`` too)
``after.each_outline(s, row)`` after each example row
``after.each_scenario(s)``     after a scenario; an outline's once, after its last row
``after.each_feature(f)``      behave ``after_feature``
``after.each_app(module, t)``  after the last feature of an app's ``features/``
``after.all(total)``           behave ``after_all``
``after.harvest(results)``     once, after behave is done: one result per app
============================  =========================================================

Steps run by ``step.behave_as()`` call no step hooks, as in Lettuce. Around the user's
hooks harvest keeps every scenario (each example row too) clean: before it, memcached
and Django's caches are emptied; after it, the browser loses its cookies and storage and
the database is flushed. ``world`` opens a scope before a scenario (an outline: before
its first row) and forgets what was set in it after (an outline: after its last row).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from behave.model import Scenario as BehaveScenario
from behave.model import ScenarioOutline
from behave.model import Step as BehaveStep
from behave.model_type import Status
from behave.runner import Context, Runner
from behave.formatter._registry import make_formatters

from lettuce.matching import LettuceStepRegistry
from lettuce.model import ScenarioProxy, StepProxy, TotalResult
from lettuce.parser import parse_file
from lettuce.registry import call_hook
from lettuce.world import world


class RunServices:
    """What the hooks clean between scenarios; ``lettuce.harvest`` supplies the real ones."""

    def before_scenario(self) -> None:
        """Prepare a clean slate (database, caches)."""

    def after_scenario(self) -> None:
        """Clean what the scenario left (browser, database)."""

    def save_failure(self, scenario: BehaveScenario, step: BehaveStep) -> None:
        """Keep evidence of a failed step."""

    def app_for(self, feature_filename: str) -> ModuleType | None:
        """Return the app module whose ``features/`` holds the file, if any."""
        return None

    def base_url(self) -> str | None:
        return None

    def test_case(self) -> Any:
        return None


def _outline_of(scenario: BehaveScenario) -> ScenarioOutline | None:
    parent = getattr(scenario, "parent", None)
    return parent if isinstance(parent, ScenarioOutline) else None


class HarvestHooks:
    """behave's environment hooks, each calling Lettuce's hooks around harvest's own work."""

    def __init__(self, services: RunServices) -> None:
        self.services = services
        self.runner: Runner | None = None
        self.depth = 0  # nested steps (behave_as) run no hooks and leave no evidence
        self.current_app: ModuleType | None = None
        self.app_features: list[Any] = []
        self.background_open = False
        self.background_results: list[bool] = []
        self.open_outline: ScenarioOutline | None = None
        self.rows_left: list[BehaveScenario] = []

    def as_behave_hooks(self) -> dict[str, Callable[..., None]]:
        return {name: getattr(self, name) for name in (
            "before_all", "after_all", "before_feature", "after_feature",
            "before_scenario", "after_scenario", "before_step", "after_step",
        )}

    def total(self) -> TotalResult:
        return TotalResult.from_features(self.runner.features if self.runner else [])

    # -- run -------------------------------------------------------------------------
    def before_all(self, context: Any) -> None:
        context.config.setup_logging()  # what behave's default before_all does
        context.base_url = self.services.base_url()
        call_hook("before", "all")

    def after_all(self, context: Any) -> None:
        self._leave_app()
        call_hook("after", "all", self.total())

    # -- features and apps -------------------------------------------------------------
    def before_feature(self, context: Any, feature: Any) -> None:
        world._push()  # first: behave calls after_feature even if a hook below fails
        app = self.services.app_for(feature.filename)
        if app is not self.current_app:
            self._leave_app()
            self.current_app = app
            if app is not None:
                call_hook("before_each", "app", app)
        self.app_features.append(feature)
        call_hook("before_each", "feature", feature)

    def after_feature(self, context: Any, feature: Any) -> None:
        try:
            if self.open_outline is not None:  # stopped mid-outline (--failfast)
                self._close_outline()
            call_hook("after_each", "feature", feature)
        finally:
            world._pop()

    def _leave_app(self) -> None:
        if self.current_app is not None:
            result = TotalResult.from_features(self.app_features)
            call_hook("after_each", "app", self.current_app, result)
        self.current_app = None
        self.app_features = []

    # -- scenarios: a plain one, or an outline with all its rows ----------------------
    # Lettuce ran an outline as one scenario: its hooks and world's scope span the rows.
    # harvest's clean slate (database, caches, browser) stays per row: each row is a
    # scenario that must not see what the previous row left.
    def before_scenario(self, context: Any, scenario: BehaveScenario) -> None:
        self.depth = 0
        self.background_open = False
        self.background_results = []
        context.test = self.services.test_case()
        outline = _outline_of(scenario)
        if outline is None:
            world._push()
            self.services.before_scenario()
            call_hook("before_each", "scenario", ScenarioProxy(scenario))
            return
        if outline is not self.open_outline:
            self.open_outline = outline
            config = self.runner.config if self.runner else None
            self.rows_left = [row for row in outline.scenarios
                              if config is None or row.should_run(config)]
            world._push()
            self.services.before_scenario()
            call_hook("before_each", "scenario", ScenarioProxy(outline))
        else:
            self.services.before_scenario()
        call_hook("before_each", "outline", ScenarioProxy(outline), ScenarioProxy(scenario).outline)

    def after_scenario(self, context: Any, scenario: BehaveScenario) -> None:
        self._hook_steps_behave_did_not_run(scenario, context)
        outline = _outline_of(scenario)
        if outline is None:
            try:
                call_hook("after_each", "scenario", ScenarioProxy(scenario))
            finally:
                self._clean_after(close_world=True)
            return
        row = ScenarioProxy(scenario)
        reasons = [step.error_message for step in scenario.all_steps if step.status.has_failed()]
        self.rows_left = [left for left in self.rows_left if left is not scenario]
        last = not self.rows_left
        try:
            call_hook("outline", "scenario", ScenarioProxy(outline), _row_index(scenario),
                      row.outline, reasons)
            call_hook("after_each", "outline", ScenarioProxy(outline), row.outline)
            if last:
                self.open_outline = None
                call_hook("after_each", "scenario", ScenarioProxy(outline))
        finally:
            self._clean_after(close_world=last)

    def _close_outline(self) -> None:
        """An outline whose last rows never ran (--failfast): close what it opened."""
        outline, self.open_outline, self.rows_left = self.open_outline, None, []
        try:
            call_hook("after_each", "scenario", ScenarioProxy(outline))
        finally:
            world._pop()

    def _clean_after(self, close_world: bool) -> None:
        try:
            self.services.after_scenario()
        finally:
            if close_world:
                world._pop()

    def _hook_steps_behave_did_not_run(self, scenario: BehaveScenario, context: Any) -> None:
        """Lettuce called step hooks for every step: before for a skipped one, after for all."""
        for step in scenario.all_steps:
            proxy = StepProxy(step, context)
            if step.status == Status.skipped:
                call_hook("before_each", "step", proxy)
                call_hook("before_output", "step", proxy)
                call_hook("after_output", "step", proxy)
                call_hook("after_each", "step", proxy)
            elif step.status in (Status.undefined, Status.untested_undefined):
                call_hook("after_each", "step", proxy)

    # -- steps ---------------------------------------------------------------------------
    def before_step(self, context: Any, step: BehaveStep) -> None:
        self.depth += 1
        if self.depth > 1:
            return
        if self._is_background(context, step) and not self.background_open:
            self.background_open = True
            call_hook("before_each", "background", context.scenario.background)
        call_hook("before_each", "step", StepProxy(step, context))
        call_hook("before_output", "step", StepProxy(step, context))

    def after_step(self, context: Any, step: BehaveStep) -> None:
        try:
            if self.depth != 1:
                return
            if step.status.has_failed():
                self.services.save_failure(context.scenario, step)
            call_hook("after_output", "step", StepProxy(step, context))
            call_hook("after_each", "step", StepProxy(step, context))
            if self.background_open:
                self.background_results.append(step.status == Status.passed)
                steps = context.scenario.background_steps
                if step is steps[-1] or step.status.has_failed():
                    self.background_open = False
                    call_hook("after_each", "background", context.scenario.background,
                              self.background_results)
        finally:
            self.depth -= 1

    @staticmethod
    def _is_background(context: Any, step: BehaveStep) -> bool:
        scenario = getattr(context, "scenario", None)
        return scenario is not None and any(step is own for own in scenario.background_steps)


def _row_index(scenario: BehaveScenario) -> int:
    """Return which example row (from 0, across Examples tables) made ``scenario``."""
    siblings = getattr(getattr(scenario, "parent", None), "scenarios", [])
    return next((index for index, other in enumerate(siblings) if other is scenario), 0)


class HarvestRunner(Runner):
    """behave's runner with harvest's paths, parser, hooks and tag rule.

    * paths: the given feature files and folders, relative to the project (no behave
      ``steps/`` folder or ``environment.py`` is required);
    * features: read by ``lettuce.parser`` (Lettuce's leniency and syntax errors);
    * hooks: ``HarvestHooks``, never an ``environment.py``;
    * step definitions: already loaded by harvest (``lettuce.loading``), once;
    * a feature none of whose scenarios match ``--tag`` (or ``-s``) is skipped whole, so
      its feature hooks do not run (Lettuce's behaviour).
    """

    def __init__(self, config: Any, *, base_dir: Path, hooks: HarvestHooks,
                 scenario_numbers: list[int] | None = None) -> None:
        super().__init__(config)
        self.harvest_base_dir = base_dir
        self.harvest_hooks = hooks
        self.scenario_numbers = scenario_numbers
        hooks.runner = self

    def setup_paths(self) -> None:
        self.base_dir = str(self.harvest_base_dir)
        self.config.base_dir = self.base_dir
        self.path_manager.add(self.base_dir)

    def load_hooks(self, filename: str | None = None) -> None:
        self.hooks = self.harvest_hooks.as_behave_hooks()

    def load_step_definitions(self, extra_step_paths: list[str] | None = None) -> None:
        """Nothing to do: harvest imported the step files before the run started."""

    def run_with_paths(self) -> bool:
        self.context = Context(self)
        self.load_hooks()
        filenames = dict.fromkeys(getattr(location, "filename", location)
                                  for location in self.feature_locations())
        self.features.extend(parse_file(filename) for filename in filenames
                             if not self.config.exclude(filename))
        self.formatters = make_formatters(self.config, self.config.outputs)
        return self.run_model()

    def run_model(self, features: list[Any] | None = None) -> bool:
        if self.step_registry is None:
            self.step_registry = LettuceStepRegistry()
        for feature in features if features is not None else self.features:
            self._select_scenarios(feature)
        return super().run_model(features)

    def _select_scenarios(self, feature: Any) -> None:
        if self.scenario_numbers is not None:
            # Lettuce's -s: the scenarios of each feature by their position, from 1.
            for number, scenario in enumerate(feature.scenarios, start=1):
                if number not in self.scenario_numbers:
                    scenario.mark_skipped()
        if not any(scenario.should_run_with_tags(self.config.tag_expression)
                   and scenario.status != Status.skipped
                   for scenario in feature.walk_scenarios()):
            feature.mark_skipped()
