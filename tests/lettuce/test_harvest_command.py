"""``./manage.py harvest`` end to end, on the sample features in ``fixtures/``."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from lettuce.harvest import FailureReports, discover_feature_roots, write_xunit
from tests.lettuce.conftest import FIXTURES, run_harvest

FEATURE = "Hooks and steps, Lettuce style"
FIRST = "Steps get Lettuce's step object"
SECOND = "The world forgot the last scenario"


@pytest.fixture(scope="module")
def hooks_run(tmp_path_factory):
    """One run (no server) of fixtures/hooks: what the hooks and steps recorded."""
    return run_harvest(tmp_path_factory.mktemp("hooks"), "-S", str(FIXTURES / "hooks"))


@pytest.fixture(scope="module")
def stack_run(tmp_path_factory):
    """One run of fixtures/browser with the live server, Nginx, memcached and Firefox."""
    work_dir = tmp_path_factory.mktemp("browser")
    result = run_harvest(work_dir, "--with-xunit", f"--xunit-file={work_dir / 'results.xml'}",
                         str(FIXTURES / "browser"))
    result.xunit = work_dir / "results.xml"
    return result


class TestHooksAndSteps:
    @pytest.fixture
    def run(self, hooks_run):
        return hooks_run

    def test_it_passes_with_behaves_summary(self, run):
        assert run.returncode == 0, run.output
        assert run.summary("feature") == "1 feature passed, 0 failed, 0 skipped"
        assert run.summary("scenario") == "4 scenarios passed, 0 failed, 0 skipped"

    def test_run_level_hooks_wrap_everything_in_lettuces_order(self, run):
        hooks = [line for line in run.records if line.split()[0] in {
            "before.harvest", "before.all", "before.each_feature", "after.each_feature",
            "after.all", "after.harvest"}]
        assert hooks == [
            "before.harvest tags=None",
            "before.all",
            f"before.each_feature {FEATURE}",
            f"after.each_feature {FEATURE}",
            "after.all features=1/1 scenarios=4/4",
            "after.harvest scenarios=4/4",
        ]

    def test_a_scenario_runs_background_and_step_hooks_around_each_step(self, run):
        start = run.records.index(f"before.each_scenario {FIRST}")
        end = run.records.index(f"after.each_scenario {FIRST} passed=True")
        assert run.records[start:start + 6] == [
            f"before.each_scenario {FIRST}",
            "before.each_background",
            'before.each_step Given I record "background"',
            "background",
            'after.each_step Given I record "background" passed=True',
            "after.each_background [True]",
        ]
        steps = [line for line in run.records[start:end] if line.startswith("before.each_step")]
        assert steps == [
            'before.each_step Given I record "background"',
            "before.each_step Given I have the following rows:",
            "before.each_step And I have this text:",
            "before.each_step When I SET THE WORLD'S \"fruit\" TO \"apple\"",
            "before.each_step Then the world's \"fruit\" is \"apple\"",
            'before.each_step And I have 3 apples named "Granny Smith"',
            "before.each_step And I run the steps of another",
        ]  # the steps behave_as runs call no step hooks, as in Lettuce

    def test_steps_get_tables_text_and_named_groups(self, run):
        assert ('hashes [{"name": "apple", "size": "3"}, {"name": "pear", "size": "5"}] '
                "first=apple sizes=['3', '5'] keys=['name', 'size']") in run.records
        assert f"multiline {json.dumps('line one' + chr(10) + 'line two')}" in run.records
        assert 'named {"count": "3", "name": "Granny Smith"}' in run.records
        assert "world fruit=apple" in run.records  # matched ignoring case

    def test_behave_as_runs_the_steps_it_is_given(self, run):
        position = run.records.index("from behave_as")
        assert run.records[position + 1] == "second from behave_as"

    def test_world_keeps_the_runs_attributes_and_forgets_a_scenarios(self, run):
        assert "world harvest_wide=kept" in run.records
        assert "world has no fruit" in run.records

    def test_each_outline_row_is_a_scenario_and_calls_the_outline_hook(self, run):
        outlines = [line for line in run.records if line.startswith("outline ")]
        assert outlines == ["outline 1", 'outline 0 {"n": "1"} reasons=[]',
                            "outline 2", 'outline 1 {"n": "2"} reasons=[]']


class TestFailures:
    def test_a_failure_or_undefined_step_fails_the_run_and_later_scenarios_still_run(self, harvest):
        run = harvest("-S", str(FIXTURES / "broken"))
        assert run.returncode == 1
        assert "Harvest failed" in run.stderr
        assert run.records == ["before failure", "before undefined", "after failures"]
        assert run.summary("scenario") == "1 scenario passed, 1 failed, 1 error, 0 skipped"
        assert "ASSERT FAILED: 1 + 1 is not 3" in run.stdout
        assert "@step(r'^I do something \"([^\"]*)\" nobody wrote a step for$')" in run.stdout

    def test_failfast_stops_at_the_first_failing_scenario(self, harvest):
        run = harvest("-S", "--failfast", str(FIXTURES / "broken"))
        assert run.returncode == 1
        assert run.records == ["before failure"]
        assert run.summary("scenario") == "0 scenarios passed, 1 failed, 0 skipped, 2 untested"


class TestThroughTheStack:
    @pytest.fixture
    def run(self, stack_run):
        return stack_run

    def test_the_site_is_reached_through_nginx(self, run):
        assert "behind Nginx and memcached at http://127.0.0.1:" in run.stdout

    def test_every_scenario_starts_with_no_cookies_no_data_and_an_empty_cache(self, run):
        # The second scenario checks all three; only the deliberate failure may fail.
        assert run.summary("scenario") == "2 scenarios passed, 1 failed, 0 skipped"
        failing = run.stdout.split("Failing scenarios:\n", 1)[1].split("\n\n", 1)[0]
        assert failing.strip() == "tests/lettuce/fixtures/browser/browser.feature:16  A failing step"

    def test_a_failing_step_leaves_a_screenshot_the_source_and_a_note(self, run):
        assert run.returncode == 1
        line = next(line for line in run.stdout.splitlines() if line.startswith("Failing steps left"))
        folder = Path(line.rsplit(" in ", 1)[1])
        [png] = folder.glob("*.png")
        [html] = folder.glob("*.html")
        [note] = folder.glob("*.txt")
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert "Respawn" in html.read_text()  # the page the browser showed: the front page
        assert 'Then the page source says "nothing like this" right now' in note.read_text()
        assert '"nothing like this" is not in the page source' in note.read_text()
        assert png.name.startswith("01-every-scenario-starts-clean")

    def test_server_hooks_run_around_the_server_and_each_request(self, run):
        assert run.records[0] == "before.runserver True"
        assert run.records[-1] == "after.runserver 127.0.0.1"
        position = run.records.index("before.handle_request /admin/login/")
        assert "after.handle_request /admin/login/" in run.records[position:]

    def test_with_xunit_writes_one_junit_file(self, run):
        root = ET.parse(run.xunit).getroot()
        assert root.tag == "testsuites"
        assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
        cases = [case.get("name") for case in root.iter("testcase")]
        assert cases == ["A scenario leaves cookies, data and a cached page behind",
                         "The next one sees none of it", "A failing step"]


class TestCommandErrors:
    def test_a_missing_path_is_an_error(self):
        with pytest.raises(CommandError, match="You passed the path 'no/such/features'"):
            call_command("harvest", "no/such/features", "-S")

    def test_a_tag_with_an_at_sign_inside_is_an_error(self):
        with pytest.raises(CommandError, match="write tags without '@'"):
            call_command("harvest", "--tag=-@slow", "-S")


class TestDiscovery:
    def test_the_projects_features_come_first_and_apps_can_be_chosen(self, tmp_path):
        (tmp_path / "features").mkdir()
        (tmp_path / "features" / "a.feature").write_text("Feature: A\n")
        [root] = discover_feature_roots(tmp_path)
        assert root.path == tmp_path / "features" and root.app is None
        assert discover_feature_roots(tmp_path, only_apps=["blog"]) == []

    def test_each_apps_features_folder_is_a_root_and_apps_can_be_avoided(self, tmp_path, monkeypatch):
        from django.apps import apps

        configs = []
        for label in ("shop", "news"):
            (tmp_path / label / "features").mkdir(parents=True)
            (tmp_path / label / "features" / f"{label}.feature").write_text("Feature: X\n")
            configs.append(SimpleNamespace(label=label, name=f"site.{label}", path=str(tmp_path / label),
                                           module=f"module {label}"))
        monkeypatch.setattr(apps, "get_app_configs", lambda: configs)
        project = tmp_path / "project"
        assert [(root.path.parent.name, root.app) for root in discover_feature_roots(project)] == [
            ("shop", "module shop"), ("news", "module news")]
        assert [root.app for root in discover_feature_roots(project, only_apps=["news"])] == ["module news"]
        assert [root.app for root in discover_feature_roots(project, avoid_apps=["site.shop"])] == ["module news"]

    def test_a_folder_without_feature_files_is_not_a_root(self, tmp_path):
        (tmp_path / "features").mkdir()
        assert discover_feature_roots(tmp_path) == []


class TestReports:
    def test_the_folder_is_made_at_the_first_failure_and_numbered(self, tmp_path):
        reports = FailureReports(tmp_path)
        assert reports.folder is None and not any(tmp_path.iterdir())
        folder, first = reports.next_stem("A feature", "A scenario!")
        _, second = reports.next_stem("A feature", "Another")
        assert folder.parent == tmp_path and folder.is_dir()
        assert (first, second) == ("01-a-feature-a-scenario", "02-a-feature-another")
        assert FailureReports(tmp_path).next_stem("x")[0] != folder  # a second run, same second


class TestXunit:
    def test_behaves_files_merge_into_one(self, tmp_path):
        for name, tests, failures in (("TESTS-a.xml", 2, 1), ("TESTS-b.xml", 3, 0)):
            (tmp_path / name).write_text(
                f'<testsuite name="{name}" tests="{tests}" failures="{failures}" errors="0" '
                f'skipped="0" time="1.5"><testcase name="x"/></testsuite>'
            )
        target = tmp_path / "out" / "lettucetests.xml"
        write_xunit(tmp_path, target)
        root = ET.parse(target).getroot()
        assert [suite.get("name") for suite in root] == ["TESTS-a.xml", "TESTS-b.xml"]
        assert (root.get("tests"), root.get("failures"), root.get("time")) == ("5", "1", "3.000")


class TestLettuceSettings:
    def configs(self, tmp_path, monkeypatch):
        from django.apps import apps

        configs = []
        for name in ("site.shop", "site.news", "other.blog"):
            folder = tmp_path / name.replace(".", "_")
            (folder / "features").mkdir(parents=True)
            (folder / "features" / "x.feature").write_text("Feature: X\n")
            configs.append(SimpleNamespace(label=name.split(".")[-1], name=name, path=str(folder),
                                           module=name))
        monkeypatch.setattr(apps, "get_app_configs", lambda: configs)

    def test_lettuce_apps_and_avoid_apps_choose_apps_by_prefix(self, tmp_path, monkeypatch, settings):
        self.configs(tmp_path, monkeypatch)
        settings.LETTUCE_APPS = ["site"]
        settings.LETTUCE_AVOID_APPS = ["site.news"]
        assert [root.app for root in discover_feature_roots(tmp_path / "p")] == ["site.shop"]
        # -a on the command line wins over the settings, as in Lettuce.
        assert [root.app for root in discover_feature_roots(tmp_path / "p", only_apps=["blog"])] == [
            "other.blog"]

    def test_settings_harvest_cannot_honour_are_a_warning_naming_the_difference(self, settings):
        from lettuce.conf import check_lettuce_settings

        settings.LETTUCE_TEST_SERVER = "lettuce.django.server.ThreadedServer"
        settings.HARVEST_STACK = "no.such.Stack"
        problems = check_lettuce_settings()
        assert [problem.id for problem in problems] == ["lettuce.W001", "lettuce.W002"]
        assert "StaticLiveServerTestCase" in problems[0].msg and "no.such.Stack" in problems[1].msg


class TestLettuceOptionsNotCarriedOver:
    @pytest.mark.parametrize("option, advice", [
        ("--pdb", "breakpoint()"), ("--with-subunit", "--with-xunit"),
        ("--smtp-queue", "django.core.mail.outbox"), ("--with-jsonreport", "--with-xunit"),
    ])
    def test_each_is_refused_with_what_to_do_instead(self, option, advice):
        with pytest.raises(CommandError, match=f"{option} is a Lettuce option harvest does not "
                                               f"carry over: .*{re.escape(advice)}"):
            call_command("harvest", option, "-S")
