"""Lettuce on behave: steps, step objects, hooks and the runner that ties them together.

behave parses the features, runs scenarios, formats output and prints the summary. This
module supplies what Lettuce users wrote against and behave does not have.

Steps
    ``LettuceStepRegistry`` looks a step up in Lettuce's ``STEP_REGISTRY`` first, then in
    behave's own registry (so behave-style ``@given`` steps still work). A Lettuce regex
    is searched, ignoring case, in the step's sentence *with* its keyword, as Lettuce did
    (``@step('Given I have (\\d+) bars')`` works), then in the text without it (so
    ``@step(r'^I am at "([^"]*)"$')`` works too). The function gets a ``StepProxy`` (the
    Lettuce ``step``: ``.sentence``, ``.hashes``, ``.multiline``, ``.behave_as()``...)
    and the groups: positionally, or only by name when the regex names them.

Hooks (``lettuce.terrain``), as behave's environment hooks call them
    ============================  =====================================================
    ``before.harvest(variables)``  once, before behave starts (``lettuce.harvest``)
    ``before.all()``               behave ``before_all``
    ``before.each_app(module)``    before the first feature of an app's ``features/``
    ``before.each_feature(f)``     behave ``before_feature``
    ``before.each_scenario(s)``    behave ``before_scenario``, once per outline row
    ``before.each_background(b)``  before a scenario's first background step
    ``before.each_step(step)``     behave ``before_step``
    ``after.each_step(step)``      behave ``after_step`` (``step.failed`` is set)
    ``after.each_background(b, r)`` after the last background step (r: passed flags)
    ``after.outline(s, i, row, r)`` after each outline row (``before.outline`` too)
    ``after.each_scenario(s)``     behave ``after_scenario``
    ``after.each_feature(f)``      behave ``after_feature``
    ``after.each_app(module, t)``  after the last feature of an app's ``features/``
    ``after.all(total)``           behave ``after_all``
    ``after.harvest(total)``       once, after behave is done
    ============================  =====================================================

Around the user's hooks harvest keeps every scenario clean: before it, memcached and
Django's caches are emptied and ``world`` opens a scope; after it, the browser loses its
cookies and storage, the database is flushed and ``world`` forgets the scenario.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from behave.matchers import Match
from behave.model import Scenario as BehaveScenario
from behave.model import Step as BehaveStep
from behave.model_type import Argument, FileLocation, Status
from behave.runner import Runner
from behave.step_registry import StepRegistry
from behave.step_registry import registry as behave_registry

from lettuce.registry import STEP_REGISTRY, StepDict, StepLoadingError, call_hook
from lettuce.world import world

# ---------------------------------------------------------------------------------------
# The objects Lettuce handed to steps and hooks
# ---------------------------------------------------------------------------------------


class HashList(list):
    """``step.hashes``: the step's table as a list of dicts, one per row."""

    def __init__(self, step: "StepProxy | None", rows: Iterable[dict[str, str]]) -> None:
        super().__init__(rows)
        self.step = step

    @property
    def first(self) -> dict[str, str]:
        if not self:
            raise AssertionError(f"step {self.step!r} has no table rows")
        return self[0]

    @property
    def last(self) -> dict[str, str]:
        if not self:
            raise AssertionError(f"step {self.step!r} has no table rows")
        return self[-1]

    def values_under(self, key: str) -> list[str]:
        """Return the column ``key``, top to bottom."""
        return [row[key] for row in self]


@dataclass
class ReasonToFail:
    """``step.why`` on a failed step: the exception and its formatted traceback."""

    exception: BaseException | None
    traceback: str
    cause: str = field(init=False)

    def __post_init__(self) -> None:
        self.cause = str(self.exception) if self.exception is not None else self.traceback


def _table_rows(step: BehaveStep) -> list[dict[str, str]]:
    if step.table is None:
        return []
    return [dict(zip(step.table.headings, row.cells)) for row in step.table]


class StepProxy:
    """Lettuce's ``step`` object over a behave step; other attributes are behave's."""

    def __init__(self, step: BehaveStep, context: Any = None) -> None:
        self._step = step
        self._context = context

    @property
    def sentence(self) -> str:
        return f"{self._step.keyword.strip()} {self._step.name}"

    original_sentence = sentence

    @property
    def hashes(self) -> HashList:
        return HashList(self, _table_rows(self._step))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._step.table.headings) if self._step.table is not None else ()

    @property
    def multiline(self) -> str:
        return self._step.text or ""

    @property
    def ran(self) -> bool:
        return self._step.status not in (Status.untested, Status.skipped)

    @property
    def passed(self) -> bool:
        return self._step.status == Status.passed

    @property
    def failed(self) -> bool:
        return self._step.status.has_failed()

    @property
    def why(self) -> ReasonToFail | None:
        if not self.failed:
            return None
        return ReasonToFail(self._step.exception, self._step.error_message or "")

    @property
    def scenario(self) -> "ScenarioProxy | None":
        scenario = getattr(self._context, "scenario", None) if self._context else None
        return ScenarioProxy(scenario) if scenario is not None else None

    @property
    def context(self) -> Any:
        """behave's ``context`` (``context.test``, ``context.base_url``...)."""
        return self._context

    def behave_as(self, sentences: str) -> bool:
        """Run other steps, written with their keywords, one per line, as Lettuce did."""
        if self._context is None:
            raise RuntimeError("behave_as() needs a running scenario")
        return self._context.execute_steps(sentences)

    def given(self, sentence: str) -> bool:
        return self.behave_as(f"Given {sentence}")

    def when(self, sentence: str) -> bool:
        return self.behave_as(f"When {sentence}")

    def then(self, sentence: str) -> bool:
        return self.behave_as(f"Then {sentence}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._step, name)

    def __repr__(self) -> str:
        return f'<Step: "{self.sentence}">'


class ScenarioProxy:
    """Lettuce's scenario object for hooks: its tags include the feature's, as in Lettuce."""

    def __init__(self, scenario: BehaveScenario) -> None:
        self._scenario = scenario

    @property
    def name(self) -> str:
        return self._scenario.name

    @property
    def tags(self) -> list[str]:
        own = list(self._scenario.tags)
        return own + sorted(set(self._scenario.effective_tags) - set(own))

    @property
    def feature(self) -> Any:
        return self._scenario.feature

    @property
    def steps(self) -> list[StepProxy]:
        return [StepProxy(step) for step in self._scenario.steps]

    @property
    def passed(self) -> bool:
        return self._scenario.status == Status.passed

    @property
    def failed(self) -> bool:
        return self._scenario.status.has_failed()

    @property
    def outline(self) -> dict[str, str] | None:
        """The example row this scenario was made from, if it comes from an outline."""
        row = getattr(self._scenario, "_row", None)
        return dict(zip(row.headings, row.cells)) if row is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario, name)

    def __repr__(self) -> str:
        return f'<Scenario: "{self.name}">'


@dataclass
class TotalResult:
    """What ``after.all`` and ``after.harvest`` receive, with Lettuce's attribute names."""

    features_ran: int = 0
    features_passed: int = 0
    scenarios_ran: int = 0
    scenarios_passed: int = 0
    steps: int = 0
    steps_passed: int = 0
    steps_failed: int = 0
    steps_skipped: int = 0
    steps_undefined: int = 0
    failed_scenario_locations: list[str] = field(default_factory=list)
    failures_dir: Path | None = None

    @classmethod
    def from_features(cls, features: Iterable[Any]) -> "TotalResult":
        total = cls()
        for feature in features:
            if feature.status in (Status.skipped, Status.untested):
                continue
            total.features_ran += 1
            total.features_passed += feature.status == Status.passed
            for scenario in feature.walk_scenarios():
                if scenario.status in (Status.skipped, Status.untested):
                    continue
                total.scenarios_ran += 1
                total.scenarios_passed += scenario.status == Status.passed
                if scenario.status.has_failed():
                    total.failed_scenario_locations.append(f"{scenario.location}  {scenario.name}")
                for step in scenario.all_steps:
                    total.steps += 1
                    total.steps_passed += step.status == Status.passed
                    total.steps_failed += step.status in (Status.failed, Status.error,
                                                          Status.hook_error)
                    total.steps_skipped += step.status in (Status.skipped, Status.untested)
                    total.steps_undefined += step.status == Status.undefined
        return total

    @property
    def passed(self) -> bool:
        return self.steps == self.steps_passed


# ---------------------------------------------------------------------------------------
# Step lookup
# ---------------------------------------------------------------------------------------


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
        keyword = step.keyword.strip()
        sentence = f"{keyword} {step.name}"
        found = self.lettuce_steps.first_match(sentence, step.name)
        if found is None:
            return None
        definition, matched, which = found
        # Positions let formatters highlight the arguments in the step text (no keyword).
        offset = len(keyword) + 1 if which == 0 else 0

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


# ---------------------------------------------------------------------------------------
# Step files
# ---------------------------------------------------------------------------------------


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import the Python file ``path`` as ``module_name`` (once), its folder on sys.path."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StepLoadingError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    # Lettuce put a step file's folder on sys.path, so it could import its neighbours.
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.path.remove(folder)
    return module


def load_step_files(folders: Iterable[Path], base_dir: Path) -> list[ModuleType]:
    """Import every ``*.py`` under each folder (recursively), as Lettuce did.

    Each file gets its own module name from its path, so two apps' ``steps.py`` are two
    modules. ``__init__.py`` files are skipped: they only mark packages.
    """
    modules = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts or path.name == "__init__.py":
                continue
            try:
                relative = path.resolve().relative_to(base_dir.resolve())
            except ValueError:
                relative = path.resolve()
            name = "harvest_steps." + re.sub(r"\W", "_", str(relative.with_suffix("")))
            modules.append(import_file(path, name))
    return modules


def lettuce_snippets(steps: Iterable[BehaveStep]) -> str:
    """Return Lettuce-style step definitions to paste for undefined steps."""
    seen: set[str] = set()
    chunks = []
    for step in steps:
        pattern, count = _proposed_regex(step.name)
        if pattern in seen:
            continue
        seen.add(pattern)
        name = re.sub(r"\W+", "_", step.name.lower().replace('"', "")).strip("_")[:60]
        params = "".join(f", group{n}" for n in range(1, count + 1))
        chunks.append(f"@step(r'^{pattern}$')\ndef {name or 'undefined_step'}(step{params}):\n"
                      "    assert False, 'This step must be implemented'\n")
    if not chunks:
        return ""
    return ("You can implement step definitions for undefined steps with these snippets:\n\n"
            "from lettuce import step\n\n" + "\n".join(chunks))


def _proposed_regex(text: str) -> tuple[str, int]:
    parts = re.split(r'"[^"]*"', text)
    escaped = [re.escape(part).replace("\\ ", " ") for part in parts]
    return '"([^"]*)"'.join(escaped), len(parts) - 1


# ---------------------------------------------------------------------------------------
# Hooks and runner
# ---------------------------------------------------------------------------------------


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


class HarvestHooks:
    """behave's environment hooks, each calling Lettuce's hooks around harvest's own work."""

    def __init__(self, services: RunServices) -> None:
        self.services = services
        self.runner: Runner | None = None
        self.depth = 0  # nested steps (behave_as) are not where evidence is taken
        self.current_app: ModuleType | None = None
        self.app_features: list[Any] = []
        self.background_open = False
        self.background_results: list[bool] = []

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
            call_hook("after_each", "feature", feature)
        finally:
            world._pop()

    def _leave_app(self) -> None:
        if self.current_app is not None:
            result = TotalResult.from_features(self.app_features)
            call_hook("after_each", "app", self.current_app, result)
        self.current_app = None
        self.app_features = []

    # -- scenarios -----------------------------------------------------------------------
    def before_scenario(self, context: Any, scenario: BehaveScenario) -> None:
        world._push()
        self.depth = 0
        self.background_open = False
        self.background_results = []
        self.services.before_scenario()
        context.test = self.services.test_case()
        call_hook("before_each", "scenario", ScenarioProxy(scenario))

    def after_scenario(self, context: Any, scenario: BehaveScenario) -> None:
        proxy = ScenarioProxy(scenario)
        try:
            if proxy.outline is not None:
                reasons = [step.error_message for step in scenario.all_steps
                           if step.status.has_failed()]
                call_hook("outline", "scenario", proxy, _row_index(scenario), proxy.outline,
                          reasons)
            call_hook("after_each", "scenario", proxy)
        finally:
            try:
                self.services.after_scenario()
            finally:
                world._pop()

    # -- steps ---------------------------------------------------------------------------
    def before_step(self, context: Any, step: BehaveStep) -> None:
        self.depth += 1
        if self.depth == 1 and self._is_background(context, step) and not self.background_open:
            self.background_open = True
            call_hook("before_each", "background", context.scenario.background)
        call_hook("before_each", "step", StepProxy(step, context))

    def after_step(self, context: Any, step: BehaveStep) -> None:
        try:
            if self.depth == 1 and step.status.has_failed():
                self.services.save_failure(context.scenario, step)
            call_hook("after_each", "step", StepProxy(step, context))
            if self.depth == 1 and self.background_open:
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
    """behave's runner with harvest's paths, hooks, step files and tag rule.

    * paths: the given feature files and folders, relative to the project (no behave
      ``steps/`` folder or ``environment.py`` is required);
    * hooks: ``HarvestHooks``, never an ``environment.py``;
    * step definitions: ``terrain.py`` is imported by harvest beforehand; here every
      ``*.py`` under the feature folders;
    * a feature none of whose scenarios match ``--tag`` is skipped whole, so its feature
      hooks do not run (Lettuce's behaviour).
    """

    def __init__(self, config: Any, *, base_dir: Path, step_folders: list[Path],
                 hooks: HarvestHooks) -> None:
        super().__init__(config)
        self.harvest_base_dir = base_dir
        self.step_folders = step_folders
        self.harvest_hooks = hooks
        hooks.runner = self

    def setup_paths(self) -> None:
        self.base_dir = str(self.harvest_base_dir)
        self.config.base_dir = self.base_dir
        self.path_manager.add(self.base_dir)

    def load_hooks(self, filename: str | None = None) -> None:
        self.hooks = self.harvest_hooks.as_behave_hooks()

    def load_step_definitions(self, extra_step_paths: list[str] | None = None) -> None:
        load_step_files(self.step_folders, self.harvest_base_dir)

    def run_model(self, features: list[Any] | None = None) -> bool:
        if self.step_registry is None:
            self.step_registry = LettuceStepRegistry()
        for feature in features if features is not None else self.features:
            if not any(scenario.should_run_with_tags(self.config.tag_expression)
                       for scenario in feature.walk_scenarios()):
                feature.mark_skipped()
        return super().run_model(features)
