"""The objects Lettuce handed to steps and hooks, over behave's model.

* ``StepProxy``: Lettuce's ``step`` (``.sentence``, ``.hashes``, ``.multiline``,
  ``.behave_as()``, ``.passed``, ``.why``...), other attributes behave's;
* ``ScenarioProxy``: the scenario hooks see; for an outline, the outline itself
  (``.outlines``: its example rows), as Lettuce ran an outline as one scenario;
* ``TotalResult``: Lettuce's counters for ``after.all`` and ``after.each_app``;
  ``HarvestSummary``: what ``after.harvest`` gets, Lettuce's list of per-app results.

Nothing here runs anything: ``lettuce.matching`` finds steps, ``lettuce.runner`` runs them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from behave.model import Scenario as BehaveScenario
from behave.model import ScenarioOutline
from behave.model import Step as BehaveStep
from behave.model_type import Status

GENERIC_KEYWORD = "*"  # a step line that started with no keyword (lettuce.parser)


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


def sentence_of(step: BehaveStep) -> str:
    """The step's line as written: its keyword (if it had one) and its text."""
    keyword = step.keyword.strip()
    return step.name if keyword in ("", GENERIC_KEYWORD) else f"{keyword} {step.name}"


class StepProxy:
    """Lettuce's ``step`` object over a behave step; other attributes are behave's."""

    def __init__(self, step: BehaveStep, context: Any = None) -> None:
        self._step = step
        self._context = context

    @property
    def sentence(self) -> str:
        return sentence_of(self._step)

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
    """Lettuce's scenario object for hooks: its tags include the feature's, as in Lettuce.

    Over a ``ScenarioOutline`` it is the outline as Lettuce saw it: one scenario, its
    name without behave's row suffix, ``outlines`` the example rows as dicts.
    """

    def __init__(self, scenario: BehaveScenario | ScenarioOutline) -> None:
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

    @property
    def outlines(self) -> list[dict[str, str]]:
        """Lettuce's ``scenario.outlines``: every example row of an outline (else none)."""
        if not isinstance(self._scenario, ScenarioOutline):
            return []
        return [dict(zip(examples.table.headings, row.cells))
                for examples in self._scenario.examples if examples.table
                for row in examples.table.rows]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario, name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScenarioProxy) and other._scenario is self._scenario

    def __hash__(self) -> int:
        return id(self._scenario)

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
    feature_results: list[Any] = field(default_factory=list)

    @classmethod
    def from_features(cls, features: Iterable[Any]) -> "TotalResult":
        total = cls()
        for feature in features:
            if feature.status in (Status.skipped, Status.untested):
                continue
            total.feature_results.append(feature)
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

    @property
    def is_success(self) -> bool:
        return not self.failed_scenario_locations

    def add(self, other: "TotalResult") -> None:
        for name in ("features_ran", "features_passed", "scenarios_ran", "scenarios_passed",
                     "steps", "steps_passed", "steps_failed", "steps_skipped", "steps_undefined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed_scenario_locations += other.failed_scenario_locations
        self.feature_results += other.feature_results


class HarvestSummary(TotalResult):
    """``after.harvest``'s argument: Lettuce's ``SummaryTotalResults``.

    A list of results, one per app's ``features/`` (or per path given), in run order:
    ``len(results)``, ``results[0]``, iteration; and the totals over all of them as
    attributes (``steps_passed``, ``features_ran_overall``, ``is_success``...).
    """

    def __init__(self, results: Iterable[TotalResult] = ()) -> None:
        super().__init__()
        self.total_results = list(results)
        for result in self.total_results:
            self.add(result)

    @property
    def features_ran_overall(self) -> int:
        return self.features_ran

    @property
    def features_passed_overall(self) -> int:
        return self.features_passed

    def __len__(self) -> int:
        return len(self.total_results)

    def __getitem__(self, index: int) -> TotalResult:
        return self.total_results[index]

    def __iter__(self):  # noqa: ANN204 - an iterator of TotalResult
        return iter(self.total_results)
