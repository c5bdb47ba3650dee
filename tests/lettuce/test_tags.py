"""``--tag`` selects scenarios exactly as Lettuce 0.2.23's ``Scenario.matches_tags`` did."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lettuce.tags import LettuceTagExpression, fuzz_ratio, matches_tags, normalize_tag_options
from tests.lettuce.conftest import FIXTURES, run_harvest


class TestMatchesTags:
    @pytest.mark.parametrize("scenario_tags", [[], ["slow"], ["a", "b"]])
    def test_no_tag_option_runs_everything(self, scenario_tags):
        assert matches_tags(scenario_tags, None)

    def test_an_untagged_scenario_needs_an_exclusion_to_run(self):
        assert not matches_tags([], ["slow"])
        assert matches_tags([], ["-slow"])

    @pytest.mark.parametrize(("scenario_tags", "expected"), [
        (["slow"], True), (["fast"], False), (["slow", "fast"], True), ([], False),
    ])
    def test_a_positive_tag_needs_the_tag(self, scenario_tags, expected):
        assert matches_tags(scenario_tags, ["slow"]) is expected

    @pytest.mark.parametrize(("scenario_tags", "expected"), [
        (["slow"], False), (["fast"], True), ([], True), (["fast", "slow"], False),
    ])
    def test_a_negative_tag_excludes_the_tag(self, scenario_tags, expected):
        assert matches_tags(scenario_tags, ["-slow"]) is expected

    @pytest.mark.parametrize(("scenario_tags", "expected"), [
        (["a"], True), (["b"], True), (["a", "b"], True), (["c"], False), ([], False),
    ])
    def test_positive_tags_combine_with_or(self, scenario_tags, expected):
        assert matches_tags(scenario_tags, ["a", "b"]) is expected

    @pytest.mark.parametrize(("scenario_tags", "expected"), [
        ([], True), (["c"], True), (["a"], False), (["b"], False), (["a", "b"], False),
    ])
    def test_negative_tags_combine_with_and(self, scenario_tags, expected):
        assert matches_tags(scenario_tags, ["-a", "-b"]) is expected

    @pytest.mark.parametrize(("scenario_tags", "expected"), [
        (["a"], True),
        (["a", "b"], True),  # a literal positive match wins over the exclusion
        (["c"], False),  # no literal match: then every option must hold, and "a" does not
        ([], False),
        (["b"], False),
    ])
    def test_mixed_tags_follow_lettuces_short_circuit(self, scenario_tags, expected):
        assert matches_tags(scenario_tags, ["a", "-b"]) is expected

    def test_fuzzy_tags_match_similar_names(self):
        assert matches_tags(["browser"], ["~browsr"])  # 92 of 100
        assert not matches_tags(["slow"], ["~browsr"])
        assert not matches_tags([], ["~browsr"])

    def test_negated_fuzzy_tags_need_some_dissimilar_tag(self):
        assert matches_tags(["slow"], ["-~browsr"])
        assert not matches_tags(["browser"], ["-~browsr"])
        assert not matches_tags([], ["-~browsr"])  # any() of nothing is false, as in Lettuce

    def test_the_fuzzy_ratio_is_fuzzywuzzys(self):
        assert fuzz_ratio("browser", "browser") == 100
        assert fuzz_ratio("", "browser") == 0
        assert fuzz_ratio("browsr", "browser") == 92
        assert fuzz_ratio("ab", "ac") == 50

    def test_the_expression_is_what_behave_asks(self):
        expression = LettuceTagExpression(["fast", "-wip"])
        assert expression.check({"fast", "wip"})
        assert not expression.check({"wip"})
        assert str(expression) == "--tag=fast --tag=-wip"
        assert LettuceTagExpression(None).check(set())


class TestNormalizeTagOptions:
    def test_no_option_is_none(self):
        assert normalize_tag_options(None) is None
        assert normalize_tag_options([]) is None

    def test_at_signs_around_a_tag_are_stripped_as_the_lettuce_command_did(self):
        assert normalize_tag_options(["@slow", "-wip", "~fast"]) == ["slow", "-wip", "~fast"]

    def test_an_at_sign_inside_is_refused(self):
        with pytest.raises(ValueError, match="--tag=-slow"):
            normalize_tag_options(["-@slow"])


ALL = {"untagged", "slow", "fast", "fast wip", "browser", "inherited slow", "inherited slow wip"}

# (--tag options, scenarios that must run, behave's feature summary line)
SELECTIONS = [
    ((), ALL, "2 features passed, 0 failed, 0 skipped"),
    (("--tag=slow",), {"slow", "inherited slow", "inherited slow wip"},
     "2 features passed, 0 failed, 0 skipped"),
    (("--tag=-slow",), {"untagged", "fast", "fast wip", "browser"},
     "1 feature passed, 0 failed, 1 skipped"),
    (("--tag=fast", "--tag=wip"), {"fast", "fast wip", "inherited slow wip"},
     "2 features passed, 0 failed, 0 skipped"),
    (("--tag=fast", "--tag=-wip"), {"fast", "fast wip"}, "1 feature passed, 0 failed, 1 skipped"),
    (("--tag=-slow", "--tag=-wip"), {"untagged", "fast", "browser"},
     "1 feature passed, 0 failed, 1 skipped"),
    (("--tag=~browsr",), {"browser"}, "1 feature passed, 0 failed, 1 skipped"),
]


@pytest.fixture(scope="module")
def tag_runs(tmp_path_factory):
    """Run harvest (no server) on fixtures/tags once per selection, a few at a time."""
    def run(options):
        work_dir = tmp_path_factory.mktemp("tags")
        return run_harvest(work_dir, "-S", "-v", "0", *options, str(FIXTURES / "tags"))

    # Each run is mostly Django starting and migrating an in-memory database: overlap them.
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(run, [options for options, _, _ in SELECTIONS])
        return dict(zip([options for options, _, _ in SELECTIONS], results))


class TestHarvestTagSelection:
    """Run the sample features with --tag and check which scenarios ran."""

    @pytest.mark.parametrize(("options", "ran", "features"), SELECTIONS,
                             ids=[" ".join(options) or "no tags" for options, _, _ in SELECTIONS])
    def test_scenarios_that_ran(self, tag_runs, options, ran, features):
        result = tag_runs[options]
        assert result.returncode == 0, result.output
        assert set(result.records) == ran
        assert len(result.records) == len(ran)  # each ran once
        skipped = len(ALL) - len(ran)
        plural = "s" if len(ran) != 1 else ""
        assert result.summary("scenario") == f"{len(ran)} scenario{plural} passed, 0 failed, {skipped} skipped"
        # A feature none of whose scenarios is selected is skipped whole (no feature hooks).
        assert result.summary("feature") == features
