"""``lettuce_webdriver``'s ``$("…")`` steps: elements found with jQuery selectors.

As there, the selector is jQuery's (``$("input[name='user']")``, ``:checked``,
``:contains(…)``...), and a page without jQuery gets it injected first: here from the
Debian package ``libjs-jquery`` (``deploy/install-packages.sh``), never from the network.
Imported by ``lettuce.webdriver``; ``import lettuce_webdriver.css_selector_steps`` works.

    There should be an element matching $("SEL")  (… within N seconds)
    There should be exactly N elements matching $("SEL")
    There should not be an element matching $("SEL")
    I fill in $("SEL") with "VALUE" / I submit $("SEL") / I check $("SEL")
    I click $("SEL") / I follow the link $("SEL") / I select $("SEL")
    $("SEL") should be selected
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from lettuce import world
from lettuce.decorators import bundled_step as step
from lettuce.webfinders import WAIT_SECONDS, wait_for

JQUERY_FILES = (Path("/usr/share/javascript/jquery/jquery.min.js"),
                Path("/usr/share/javascript/jquery/jquery.js"))
_SELECT = """
var jq = window.jQuery;
if (!jq || !jq.fn || !jq.fn.jquery) { return null; }
var found = jq(arguments[0]);
return (arguments[1] ? found.parent() : found).get();
"""


def load_jquery(browser: Any) -> None:
    source = next((path for path in JQUERY_FILES if path.is_file()), None)
    if source is None:
        raise AssertionError(
            'the $("…") steps need jQuery, and this page has none: install libjs-jquery '
            "(make setup), or load jQuery in the page")
    browser.execute_script(source.read_text(encoding="utf-8") + "\n;return !!window.jQuery;")


def find_elements_by_jquery(browser: Any, selector: str, parents: bool = False) -> list[Any]:
    """Return the elements jQuery finds for ``selector`` (or their parents)."""
    found = browser.execute_script(_SELECT, selector, parents)
    if found is None:
        load_jquery(browser)
        found = browser.execute_script(_SELECT, selector, parents)
    return list(found or [])


def find_element_by_jquery(selector: str) -> Any:
    found = wait_for(lambda browser: find_elements_by_jquery(browser, selector),
                     lambda: f'nothing matches $("{selector}") on {world.browser.current_url}')
    return found[0]


@step(r'There should be an element matching \$\("(.*?)"\)$')
def check_element_by_selector(step: Any, selector: str) -> None:
    find_element_by_jquery(selector)


@step(r'There should be an element matching \$\("(.*?)"\) within (\d+) seconds?$')
def wait_for_element_by_selector(step: Any, selector: str, seconds: str) -> None:
    wait_for(lambda browser: find_elements_by_jquery(browser, selector),
             lambda: f'nothing matches $("{selector}") after {seconds} s', seconds=int(seconds))


@step(r'There should be exactly (\d+) elements matching \$\("(.*?)"\)$')
def count_elements_exactly_by_selector(step: Any, number: str, selector: str) -> None:
    wait_for(lambda browser: len(find_elements_by_jquery(browser, selector)) == int(number),
             lambda: f'{len(find_elements_by_jquery(world.browser, selector))} elements match '
                     f'$("{selector}"), not {number}')


@step(r'There should not be an element matching \$\("(.*?)"\)$')
def no_element_by_selector(step: Any, selector: str) -> None:
    found = find_elements_by_jquery(world.browser, selector)
    assert not found, f'{len(found)} elements match $("{selector}")'


@step(r'I fill in \$\("(.*?)"\) with "(.*?)"$')
def fill_in_by_selector(step: Any, selector: str, value: str) -> None:
    element = find_element_by_jquery(selector)
    element.clear()
    element.send_keys(value)


@step(r'I submit \$\("(.*?)"\)')
def submit_by_selector(step: Any, selector: str) -> None:
    find_element_by_jquery(selector).submit()


@step(r'I check \$\("(.*?)"\)$')
def check_by_selector(step: Any, selector: str) -> None:
    element = find_element_by_jquery(selector)
    if not element.is_selected():
        element.click()


@step(r'I click \$\("(.*?)"\)$')
def click_by_selector(step: Any, selector: str) -> None:
    find_element_by_jquery(selector).click()


@step(r'I follow the link \$\("(.*?)"\)$')
def follow_link_by_selector(step: Any, selector: str) -> None:
    world.browser.get(find_element_by_jquery(selector).get_attribute("href"))


@step(r'\$\("(.*?)"\) should be selected$')
def selected_by_selector(step: Any, selector: str) -> None:
    assert find_element_by_jquery(selector).is_selected(), f'$("{selector}") is not selected'


@step(r'I select \$\("(.*?)"\)$')
def select_by_selector(step: Any, selector: str) -> None:
    option = find_element_by_jquery(selector)
    parents = find_elements_by_jquery(world.browser, selector, parents=True)
    assert parents, f'$("{selector}") has no select around it'
    parents[0].click()
    option.click()
    assert option.is_selected(), f'$("{selector}") did not get selected'


__all__ = ["WAIT_SECONDS", "find_element_by_jquery", "find_elements_by_jquery"]
