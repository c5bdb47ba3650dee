"""Every lettuce_webdriver step phrase, in its own tests' features, against pages of ours
served by a real local HTTP server, in Firefox (``fixtures/webdriver``)."""
from __future__ import annotations

import pytest

from lettuce import STEP_REGISTRY
from tests.lettuce.conftest import FIXTURES, run_harvest

# lettuce_webdriver's 28 test features (26 in test_webdriver.py, 2 in
# test_css_selector_steps.py), ported, plus 8 covering its remaining phrases and 2 an
# alert left open.
WEB_SCENARIOS = 38


@pytest.fixture(scope="module")
def web_run(tmp_path_factory):
    return run_harvest(tmp_path_factory.mktemp("web"), str(FIXTURES / "webdriver"))


def test_every_scenario_passes_and_fails_the_steps_it_did_under_lettuce(web_run):
    verdicts = [line for line in web_run.records if line.startswith("peer ")]
    assert len(verdicts) == WEB_SCENARIOS, web_run.output
    assert [line for line in verdicts if not line.startswith("peer as-lettuce")] == []


def test_the_scenarios_lettuce_failed_fail_here_too(web_run):
    assert web_run.returncode == 1
    assert "5 failed" in web_run.summary("scenario")


def test_every_step_phrase_of_lettuce_webdriver_is_used():
    import lettuce_webdriver.css_selector_steps  # noqa: F401
    import lettuce_webdriver.webdriver  # noqa: F401

    text = "\n".join(path.read_text() for path in (FIXTURES / "webdriver").glob("*.feature"))
    steps = [line.strip().split(" ", 1)[1] for line in text.splitlines()
             if line.strip().split(" ", 1)[0] in ("Given", "When", "Then", "And")]
    bundled = [definition for definition in STEP_REGISTRY.values() if definition.bundled]
    unused = [definition.sentence for definition in bundled
              if not any(definition.regex.search(sentence) for sentence in steps)]
    assert unused == []


def test_the_aliases_are_the_bundled_modules():
    import lettuce.css_selector_steps
    import lettuce.webdriver
    import lettuce_webdriver.css_selector_steps
    import lettuce_webdriver.webdriver

    assert lettuce_webdriver.webdriver.wait_for is lettuce.webdriver.wait_for
    assert (lettuce_webdriver.css_selector_steps.find_elements_by_jquery
            is lettuce.css_selector_steps.find_elements_by_jquery)
