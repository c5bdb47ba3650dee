"""Lettuce's own test suites' behaviours, ported: feature suites of ours written the way
Lettuce's ``tests/functional`` are, run by ``./manage.py harvest`` as a project would.

Every scenario records whether it passed, failed and skipped the steps it did under
Lettuce 0.2.23 (``fixtures/peer_record.py``); the figures are in lettuce/README.md.
"""
from __future__ import annotations

import socket

import pytest

from tests.lettuce.conftest import FIXTURES, run_harvest

PEER_SCENARIOS = 18  # lettuce_peers/ and walkup/: every scenario there


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    return run_harvest(tmp_path_factory.mktemp("peers"), "-S", str(FIXTURES / "lettuce_peers"),
                       str(FIXTURES / "walkup" / "nested" / "deeper"))


def lines(run, prefix):
    return [line[len(prefix):].strip() for line in run.records if line.startswith(prefix)]


class TestPeerScenarios:
    def test_every_scenario_behaves_as_under_lettuce(self, peers):
        verdicts = lines(peers, "peer ")
        assert len(verdicts) == PEER_SCENARIOS, peers.output
        assert [verdict for verdict in verdicts if not verdict.startswith("as-lettuce")] == []

    def test_the_run_fails_as_lettuces_did_with_its_failing_scenarios(self, peers):
        assert peers.returncode == 1  # two scenarios fail on purpose, as under Lettuce
        assert "2 failed" in peers.summary("scenario") or "2 error" in peers.summary("scenario")

    def test_lines_may_start_with_any_word_and_steps_sit_in_any_folder_below(self, peers):
        assert lines(peers, "anywhere sentences")[0] == (
            "['Given I define a step at look/here/one.py', 'And at look/and_here/two.py', "
            "'Also at look/here/for_steps/three.py']")

    def test_steps_are_found_folders_up_when_none_are_beside_the_feature(self, peers):
        assert "walkup found the steps two folders up" in peers.records

    def test_a_suites_own_step_wins_over_the_bundled_web_step(self, peers):
        assert "own_steps clicked done" in peers.records
        assert "own_steps saw my own words" in peers.records


class TestHooks:
    def test_each_scenario_runs_once_per_outline_and_the_row_hooks_per_row(self, peers):
        start = peers.records.index("outlines before.each_scenario One hook call for all rows rows=3")
        assert peers.records[start:start + 8] == [
            "outlines before.each_scenario One hook call for all rows rows=3",
            "outlines before.each_outline one", "outlines after.outline 0 one reasons=0",
            "outlines before.each_outline two", "outlines after.outline 1 two reasons=0",
            "outlines before.each_outline three", "outlines after.outline 2 three reasons=0",
            "peer as-lettuce One hook call for all rows: expected (6, 0, 0), got (6, 0, 0)",
        ]

    def test_step_hooks_run_for_skipped_steps_and_after_undefined_ones(self, peers):
        assert lines(peers, "hooks ")[:7] == [
            "before.each_step Given a step that passes", "after.each_step Given a step that passes",
            "before.each_step When a step that fails", "after.each_step When a step that fails",
            "before.each_step Then a step that passes", "after.each_step Then a step that passes",
            "after.each_step And a step nobody defined",
        ]

    def test_what_hooks_and_steps_print_is_shown(self, peers):
        assert "HOOK OUTPUT: before.all speaks" in peers.stdout
        assert "STEP OUTPUT: a passing step speaks" in peers.stdout

    def test_after_harvest_gets_lettuces_list_of_results(self, peers):
        # One result per path given, with the totals over all of them (a row is a scenario).
        assert lines(peers, "hooks after.harvest") == ["len=2 first=TotalResult scenarios=22 success=False"]


class TestSyntaxErrors:
    @pytest.mark.parametrize("folder, message", [
        ("no_name", 'Features must have a name. e.g: "Feature: This is my name"'),
        ("no_scenarios", "Features must have scenarios."),
        ("two_features", "A feature file must contain ONLY ONE feature!"),
        ("nameless_scenario", 'In the feature "Scenarios need names", scenarios must have a name'),
    ])
    def test_lettuce_refused_them_and_so_does_harvest(self, tmp_path, folder, message):
        run = run_harvest(tmp_path, "-S", str(FIXTURES / "syntax" / folder))
        assert run.returncode == 1
        assert f"Syntax error at: {FIXTURES / 'syntax' / folder / folder}.feature\n{message}" in run.stderr
        assert "Traceback" not in run.output


class TestSnippets:
    def test_quoted_values_become_groups_and_the_snippets_are_python(self, tmp_path):
        run = run_harvest(tmp_path, "-S", str(FIXTURES / "undefined"))
        snippets = run.stdout[run.stdout.index("from lettuce import step"):]
        assert "@step(r'^I have \\'([^\\']*)\\' and \"([^\"]*)\" values$')" in snippets
        assert "def i_have_group1_and_group2_values(step, group1, group2):" in snippets
        registered = []
        namespace = {"step": lambda regex: registered.append(regex) or (lambda function: function)}
        exec(compile(snippets.replace("from lettuce import step", ""), "snippets", "exec"), namespace)
        assert len(registered) == 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestOptions:
    def test_scenarios_port_debug_and_test_server_as_lettuce_read_them(self, tmp_path):
        port = free_port()
        run = run_harvest(tmp_path, "-s", "2", "-P", str(port), "-d", "-T",
                          str(FIXTURES / "options"))
        assert run.returncode == 0, run.output
        assert lines(run, "options ") == [f"port={port}", "ran second", "DEBUG=True"]

    def test_without_debug_mode_debug_is_off_and_a_bad_number_is_refused(self, tmp_path):
        run = run_harvest(tmp_path, "-S", "--scenarios=2", str(FIXTURES / "options"))
        assert lines(run, "options ") == ["ran second", "DEBUG=False"]
        refused = run_harvest(tmp_path, "-S", "-s", "two", str(FIXTURES / "options"))
        assert refused.returncode != 0 and "give scenario numbers" in refused.stderr
