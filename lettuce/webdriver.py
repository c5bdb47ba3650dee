"""The standard web steps: every phrase of ``lettuce_webdriver``, on Selenium 4.

Import this module from ``terrain.py`` (where Lettuce users imported
``lettuce_webdriver.webdriver``, which still works) to register them. They are bundled
steps: a suite's own step with the same sentence wins. The ``$("…")`` steps come along
(``lettuce.css_selector_steps``), as they did with ``lettuce_webdriver.webdriver``.

Pages and links: ``I visit/go to/am at "URL"``, ``I click "LINK"``, ``I click by id``,
``I should be at``, ``The browser's URL should be / contain / not contain``,
``I should see a link to "TEXT"`` (``… with the url``), ``I should see a link with the
url``, ``… a link that contains the text "T" and the url "U"``, ``The page title should be``.
Text and elements: ``I should see "TEXT"`` (``… within N seconds``), ``I see``,
``I should not see``, ``The element with id of "ID" contains / does not contain``,
``I should (not) see an element with id of "ID"`` (``… within N seconds``),
``I should see N elements matching "CSS"``, tooltips (``I should (not) see an element
with tooltip``, ``I click/press the element with tooltip``), frames (``I switch to the
frame with id``, ``I switch back to the main view``).
Forms: ``I fill in "FIELD" with "VALUE"``, ``I fill in the following:``,
``Input "FIELD" has/should have value``, ``I press``, ``I click on label``,
``Element with id "ID" should (not) be focused``, ``I should see a form that goes to``,
``I submit the only form`` / ``the form with id`` / ``the form with action``,
``I check / uncheck``, ``The "F" checkbox should (not) be checked``, ``I choose``,
``The "R" option should (not) be chosen``, ``I select "O" from "S"``,
``I select the following from "S":`` (one option a line), ``The "O" option from "S"
should be selected``, ``The following options from "S" should be selected:``,
``I should (not) see option "O" in selector "S"``. Alerts: ``I should see an alert with
text``, ``I accept / dismiss the alert``, ``I should not see an alert``.

Relative URLs resolve against the site under test (``world.base_url``). Where
lettuce_webdriver checked at once, these wait up to ``WAIT_SECONDS`` for the page to get
there; a step that names its seconds waits that long.
"""
from __future__ import annotations

from typing import Any

from selenium.common.exceptions import NoAlertPresentException, NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from lettuce import world
from lettuce.decorators import bundled_step as step
from lettuce.urls import resolve_url
from lettuce.webfinders import (
    WAIT_SECONDS,
    cookie_header,
    element_by_id,
    field_named,
    find_button,
    find_field,
    find_link,
    links_to,
    normalize,
    page_contains,
    same_location,
    texts_of,
    wait_for,
    xpath_literal,
)

import lettuce.css_selector_steps  # noqa: E402,F401 - lettuce_webdriver.webdriver brought them too


def here() -> str:
    return world.browser.current_url


# -- pages and links ------------------------------------------------------------------


@step(r'I (?:am at|visit|go to) "(.*?)"$')
def visit(step: Any, url: str) -> None:
    world.browser.get(resolve_url(url))


@step(r'I should be at "(.*?)"$')
def should_be_at(step: Any, url: str) -> None:
    wait_for(lambda browser: same_location(browser.current_url, url),
             lambda: f'expected to be at "{url}", but the browser is at {here()}')


@step(r'The browser\'s URL should be "(.*?)"$')
def url_should_be(step: Any, url: str) -> None:
    wait_for(lambda browser: browser.current_url == url,
             lambda: f'the browser is at {here()}, not "{url}"')


@step(r'The browser\'s URL should contain "(.*?)"$')
def url_should_contain(step: Any, text: str) -> None:
    wait_for(lambda browser: text in browser.current_url,
             lambda: f'the browser is at {here()}, which does not contain "{text}"')


@step(r'The browser\'s URL should not contain "(.*?)"$')
def url_should_not_contain(step: Any, text: str) -> None:
    assert text not in here(), f'the browser is at {here()}, which contains "{text}"'


@step(r'I click "(.*?)"$')
def click(step: Any, text: str) -> None:
    wait_for(lambda browser: find_link(browser, text),
             lambda: f'no link "{text}" on {here()}').click()


@step(r'I click by id "(.*?)"$')
def click_by_id(step: Any, element_id: str) -> None:
    wait_for(lambda browser: element_by_id(browser, element_id),
             lambda: f'no element with id "{element_id}" on {here()}').click()


@step(r'I should see a link to "([^"]*)"$')
def should_see_link(step: Any, target: str) -> None:
    def link_present(browser: Any) -> bool:
        if target.startswith(("/", "http://", "https://")):
            return bool(links_to(browser, target))
        return find_link(browser, target) is not None

    wait_for(link_present, lambda: f'no link to "{target}" on {here()}')


@step(r'I should see a link with the url "(.*?)"$')
def should_see_link_with_url(step: Any, url: str) -> None:
    wait_for(lambda browser: links_to(browser, url), lambda: f'no link to {url} on {here()}')


@step(r'I should see a link to "(.*?)" with the url "(.*?)"$')
def should_see_link_text(step: Any, text: str, url: str) -> None:
    wait_for(lambda browser: any(normalize(link.text) == normalize(text)
                                 for link in links_to(browser, url)),
             lambda: f'no link "{text}" to {url} on {here()}')


@step(r'I should see a link that contains the text "(.*?)" and the url "(.*?)"$')
def should_include_link_text(step: Any, text: str, url: str) -> None:
    wait_for(lambda browser: any(normalize(text) in normalize(link.text)
                                 for link in links_to(browser, url)),
             lambda: f'no link containing "{text}" to {url} on {here()}')


@step(r'The page title should be "([^"]*)"')
def page_title(step: Any, title: str) -> None:
    wait_for(lambda browser: normalize(browser.title) == normalize(title),
             lambda: f'the page title is "{world.browser.title}", not "{title}"')


# -- text and elements ------------------------------------------------------------------


@step(r'I should see "([^"]+)" within (\d+) seconds?$')
def should_see_in_seconds(step: Any, text: str, seconds: str) -> None:
    wait_for(lambda browser: page_contains(browser, text),
             lambda: f'"{text}" is not on {here()} after {seconds} s', seconds=int(seconds))


@step(r'I should see "([^"]+)"$')
def should_see(step: Any, text: str) -> None:
    wait_for(lambda browser: page_contains(browser, text), lambda: f'"{text}" is not on {here()}')


@step(r'I see "([^"]+)"$')
def see(step: Any, text: str) -> None:
    should_see(step, text)


@step(r'I should not see "([^"]+)"$')
def should_not_see(step: Any, text: str) -> None:
    wait_for(lambda browser: browser.execute_script("return document.readyState") == "complete",
             lambda: f"{here()} never finished loading")
    assert not page_contains(world.browser, text), f'"{text}" is on {here()}, and should not be'


def _element_text_contains(element_id: str, value: str) -> bool:
    element = element_by_id(world.browser, element_id)
    return element is not None and value in element.get_attribute("textContent")


@step(r'The element with id of "(.*?)" contains "(.*?)"$')
def element_contains(step: Any, element_id: str, value: str) -> None:
    wait_for(lambda browser: _element_text_contains(element_id, value),
             lambda: f'no element with id "{element_id}" containing "{value}" on {here()}')


@step(r'The element with id of "(.*?)" does not contain "(.*?)"$')
def element_not_contains(step: Any, element_id: str, value: str) -> None:
    assert not _element_text_contains(element_id, value), (
        f'the element with id "{element_id}" contains "{value}"')


def _visible_by_id(browser: Any, element_id: str) -> bool:
    element = element_by_id(browser, element_id)
    return element is not None and element.is_displayed()


@step(r'I should see an element with id of "(.*?)" within (\d+) seconds?$')
def should_see_id_in_seconds(step: Any, element_id: str, seconds: str) -> None:
    wait_for(lambda browser: _visible_by_id(browser, element_id),
             lambda: f'no visible element with id "{element_id}" on {here()} after {seconds} s',
             seconds=int(seconds))


@step(r'I should see an element with id of "(.*?)"$')
def should_see_id(step: Any, element_id: str) -> None:
    element = element_by_id(world.browser, element_id)
    assert element is not None, f'no element with id "{element_id}" on {here()}'
    assert element.is_displayed(), f'the element with id "{element_id}" is hidden'


@step(r'I should not see an element with id of "(.*?)"$')
def should_not_see_id(step: Any, element_id: str) -> None:
    assert not _visible_by_id(world.browser, element_id), (
        f'the element with id "{element_id}" is visible on {here()}')


@step(r'^I should see (\d+) elements? matching "([^"]*)"$')
def count_elements(step: Any, count: str, selector: str) -> None:
    expected = int(count)
    wait_for(lambda browser: len(browser.find_elements(By.CSS_SELECTOR, selector)) == expected,
             lambda: f'{len(world.browser.find_elements(By.CSS_SELECTOR, selector))} elements '
                     f'match "{selector}", not {expected}')


def _with_tooltip(browser: Any, tooltip: str) -> list[Any]:
    literal = xpath_literal(tooltip)
    return browser.find_elements(
        By.XPATH, f"//*[@title={literal} or @data-original-title={literal}]")


@step(r'I should see an element with tooltip "([^"]*)"')
def see_tooltip(step: Any, tooltip: str) -> None:
    wait_for(lambda browser: any(element.is_displayed() for element in _with_tooltip(browser, tooltip)),
             lambda: f'no visible element with tooltip "{tooltip}" on {here()}')


@step(r'I should not see an element with tooltip "([^"]*)"')
def no_see_tooltip(step: Any, tooltip: str) -> None:
    assert not any(element.is_displayed() for element in _with_tooltip(world.browser, tooltip)), (
        f'an element with tooltip "{tooltip}" is visible on {here()}')


@step(r'I (?:click|press) the element with tooltip "([^"]*)"')
def press_by_tooltip(step: Any, tooltip: str) -> None:
    def clickable(browser: Any) -> Any:
        return next((element for element in _with_tooltip(browser, tooltip)
                     if element.is_displayed()), None)

    wait_for(clickable, lambda: f'no element with tooltip "{tooltip}" on {here()}').click()


@step(r'I switch to the frame with id "([^"]*)"')
def switch_to_frame(step: Any, frame_id: str) -> None:
    frame = wait_for(lambda browser: element_by_id(browser, frame_id),
                     lambda: f'no frame with id "{frame_id}" on {here()}')
    world.browser.switch_to.frame(frame)


@step(r'I switch back to the main view')
def switch_to_main(step: Any) -> None:
    world.browser.switch_to.default_content()


# -- forms ----------------------------------------------------------------------------


@step(r'I fill in "(.*?)" with "(.*?)"$')
def fill_in(step: Any, name: str, value: str) -> None:
    element = field_named(name, "text")
    if element.get_attribute("type") in ("date", "datetime-local", "datetime"):
        # A date field is typed into, not cleared (lettuce_webdriver sent DELETE first).
        element.send_keys(Keys.DELETE)
        _set_date(element, value)
        return
    element.clear()
    element.send_keys(value)


def _set_date(element: Any, value: str) -> None:
    """Set a date field to ``value`` written 1900/01/01 or 1900-01-01 (the browser's ISO form)."""
    iso = value.replace("/", "-")
    world.browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", element, iso)


@step(r"^I fill in the following:$")
def fill_in_table(step: Any) -> None:
    for row in step.hashes:
        lowered = {key.lower(): value for key, value in row.items()}
        fill_in(step, lowered["field"], lowered["value"])


@step(r'Input "([^"]*)" (?:has|should have) value "([^"]*)"')
def input_has_value(step: Any, name: str, value: str) -> None:
    element = field_named(name, "text")
    actual = element.get_attribute("value")
    if element.get_attribute("type") in ("date", "datetime-local", "datetime"):
        # Browsers keep a date as ISO (1900-01-01) whatever was typed (1900/01/01).
        actual, value = actual.replace("-", "/"), value.replace("-", "/")
    assert actual == value, f'the field "{name}" holds "{actual}", not "{value}"'


@step(r'I press "(.*?)"$')
def press(step: Any, name: str) -> None:
    wait_for(lambda browser: find_button(browser, name),
             lambda: f'no button "{name}" on {here()}').click()


@step(r'I click on label "([^"]*)"')
def click_on_label(step: Any, label: str) -> None:
    literal = xpath_literal(normalize(label))
    wait_for(lambda browser: browser.find_element(
        By.XPATH, f"//label[normalize-space(text())={literal} or normalize-space(.)={literal}]"),
        lambda: f'no label "{label}" on {here()}').click()


def _is_focused(element_id: str) -> bool:
    element = element_by_id(world.browser, element_id)
    assert element is not None, f'no element with id "{element_id}" on {here()}'
    return element == world.browser.switch_to.active_element


@step(r'Element with id "([^"]*)" should be focused')
def element_focused(step: Any, element_id: str) -> None:
    assert _is_focused(element_id), f'the element with id "{element_id}" does not have the focus'


@step(r'Element with id "([^"]*)" should not be focused')
def element_not_focused(step: Any, element_id: str) -> None:
    assert not _is_focused(element_id), f'the element with id "{element_id}" has the focus'


def _form(xpath: str, what: str) -> Any:
    return wait_for(lambda browser: browser.find_element(By.XPATH, xpath),
                    lambda: f"no {what} on {here()}")


@step(r'I should see a form that goes to "(.*?)"$')
def see_form(step: Any, url: str) -> None:
    _form(f"//form[@action={xpath_literal(url)}]", f'form that goes to "{url}"')


@step(r'I submit the only form')
def submit_the_only_form(step: Any) -> None:
    forms = world.browser.find_elements(By.TAG_NAME, "form")
    assert len(forms) == 1, f"{len(forms)} forms on {here()}, not one"
    forms[0].submit()


@step(r'I submit the form with id "([^"]*)"')
def submit_form_id(step: Any, form_id: str) -> None:
    _form(f"//form[@id={xpath_literal(form_id)}]", f'form with id "{form_id}"').submit()


@step(r'I submit the form with action "([^"]*)"')
def submit_form_action(step: Any, url: str) -> None:
    _form(f"//form[@action={xpath_literal(url)}]", f'form with action "{url}"').submit()


@step(r'I check "(.*?)"$')
def check_checkbox(step: Any, name: str) -> None:
    box = field_named(name, "checkbox")
    if not box.is_selected():
        box.click()


@step(r'I uncheck "(.*?)"$')
def uncheck_checkbox(step: Any, name: str) -> None:
    box = field_named(name, "checkbox")
    if box.is_selected():
        box.click()


@step(r'The "(.*?)" checkbox should be checked$')
def assert_checked_checkbox(step: Any, name: str) -> None:
    assert field_named(name, "checkbox").is_selected(), f'the "{name}" checkbox is not checked'


@step(r'The "(.*?)" checkbox should not be checked$')
def assert_not_checked_checkbox(step: Any, name: str) -> None:
    assert not field_named(name, "checkbox").is_selected(), f'the "{name}" checkbox is checked'


@step(r'I choose "(.*?)"$')
def choose_radio(step: Any, name: str) -> None:
    field_named(name, "radio").click()


@step(r'The "(.*?)" option should be chosen$')
def assert_radio_selected(step: Any, name: str) -> None:
    assert field_named(name, "radio").is_selected(), f'the "{name}" option is not chosen'


@step(r'The "(.*?)" option should not be chosen$')
def assert_radio_not_selected(step: Any, name: str) -> None:
    assert not field_named(name, "radio").is_selected(), f'the "{name}" option is chosen'


def find_option(select_name: str, option: str) -> Any:
    """The option of select ``select_name`` with that id, name or value, else that text."""
    select = field_named(select_name, "select")
    literal = xpath_literal(normalize(option))
    for xpath in (f".//option[@id={literal} or @name={literal} or @value={literal}]",
                  f".//option[normalize-space(.)={literal}]",
                  f".//option[contains(normalize-space(.), {literal})]"):
        found = select.find_elements(By.XPATH, xpath)
        if found:
            return found[0]
    raise AssertionError(f'the select "{select_name}" has no option "{option}"')


@step(r'I select "(.*?)" from "(.*?)"$')
def select_option(step: Any, option: str, select_name: str) -> None:
    find_option(select_name, option).click()


def _lines(step: Any) -> list[str]:
    return [line.strip() for line in step.multiline.splitlines() if line.strip()]


@step(r'I select the following from "([^"]*?)":?$')
def select_multi_items(step: Any, select_name: str) -> None:
    select = Select(field_named(select_name, "select"))
    select.deselect_all()
    for option in _lines(step):
        try:
            select.select_by_value(option)
        except NoSuchElementException:
            select.select_by_visible_text(option)


@step(r'The "(.*?)" option from "(.*?)" should be selected$')
def assert_single_selected(step: Any, option: str, select_name: str) -> None:
    assert find_option(select_name, option).is_selected(), (
        f'the option "{option}" of "{select_name}" is not selected')


@step(r'The following options from "([^"]*?)" should be selected:?$')
def assert_multi_selected(step: Any, select_name: str) -> None:
    wanted = set(_lines(step))
    select = field_named(select_name, "select")
    for option in select.find_elements(By.XPATH, "./option"):
        names = {option.get_attribute("id"), option.get_attribute("name"),
                 option.get_attribute("value"), normalize(option.text)}
        expected = bool(names & wanted)
        assert option.is_selected() == expected, (
            f'the option "{normalize(option.text)}" of "{select_name}" is '
            f'{"not " if expected else ""}selected')


def _option_in_select(select_name: str, option: str) -> bool:
    select = field_named(select_name, "select")
    literal = xpath_literal(normalize(option))
    return bool(select.find_elements(By.XPATH, f".//option[normalize-space(text())={literal}]"))


@step(r'I should see option "([^"]*)" in selector "([^"]*)"')
def select_contains(step: Any, option: str, select_name: str) -> None:
    assert _option_in_select(select_name, option), f'"{select_name}" has no option "{option}"'


@step(r'I should not see option "([^"]*)" in selector "([^"]*)"')
def select_does_not_contain(step: Any, option: str, select_name: str) -> None:
    assert not _option_in_select(select_name, option), f'"{select_name}" has an option "{option}"'


# -- alerts ---------------------------------------------------------------------------


def _alert() -> Any:
    return wait_for(lambda browser: _open_alert(browser), lambda: f"no alert on {here()}")


def _open_alert(browser: Any) -> Any:
    try:
        alert = browser.switch_to.alert
        alert.text  # noqa: B018 - raises when no alert is open
        return alert
    except NoAlertPresentException:
        return None


@step(r'I accept the alert')
def accept_alert(step: Any) -> None:
    _alert().accept()


@step(r'I dismiss the alert')
def dismiss_alert(step: Any) -> None:
    _alert().dismiss()


@step(r'I should see an alert with text "([^"]*)"')
def check_alert(step: Any, text: str) -> None:
    shown = _alert().text
    assert shown == text, f'the alert says "{shown}", not "{text}"'


@step(r'I should not see an alert')
def check_no_alert(step: Any) -> None:
    alert = _open_alert(world.browser)
    assert alert is None, f"Should not see an alert. Alert '{alert.text}' shown."


__all__ = ["WAIT_SECONDS", "cookie_header", "find_button", "find_field", "find_link",
           "normalize", "texts_of", "wait_for"]
