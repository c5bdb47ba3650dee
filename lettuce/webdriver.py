"""The standard web steps, in the phrasing of Lettuce's ``lettuce_webdriver``.

Import this module from ``terrain.py`` (where Lettuce users imported
``lettuce_webdriver.webdriver``) to register the steps:

    I am at "URL" / I visit "URL" / I go to "URL"
    I should be at "URL"
    I should see "TEXT" / I should not see "TEXT"
    I should see a link to "TEXT OR URL" / ... to "TEXT" with the url "URL"
    I fill in "FIELD" with "VALUE" / I fill in the following: (table: field | value)
    I select "OPTION" from "FIELD" / I check "FIELD" / I uncheck "FIELD"
    I press "BUTTON" / I click "LINK"
    The page title should be "TITLE"
    I should see N elements matching "CSS"

A relative URL is resolved against the site under test (``world.base_url``: Nginx in
front of the live server). A FIELD is found by its label's text (a trailing ``:`` or
``*`` ignored), then its ``name``, then its ``id``. Checks wait up to ``WAIT_SECONDS``
for the page to get there, because a click may still be loading the next page.
Selenium 4 locators (``By``) throughout.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from lettuce import step, world
from lettuce.harvest import resolve_url

# Long enough for a page behind Nginx on a busy CI machine, short enough to fail fast.
WAIT_SECONDS = 10
T = TypeVar("T")


def wait_for(condition: Callable[[Any], T], message: Callable[[], str]) -> T:
    """Return ``condition(browser)`` once truthy; fail the step with ``message()`` if never."""
    waiter = WebDriverWait(world.browser, WAIT_SECONDS, poll_frequency=0.1,
                           ignored_exceptions=(NoSuchElementException,
                                               StaleElementReferenceException))
    try:
        return waiter.until(condition)
    except TimeoutException:
        raise AssertionError(message()) from None


def xpath_literal(text: str) -> str:
    """Quote ``text`` for an XPath expression (XPath 1 has no escapes)."""
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    parts = text.split('"')
    return "concat(" + ", '\"', ".join(f'"{part}"' for part in parts) + ")"


def normalize(text: str) -> str:
    return " ".join(text.split())


def visible_text(browser: Any) -> str:
    return normalize(browser.find_element(By.TAG_NAME, "body").text)


def page_contains(browser: Any, text: str) -> bool:
    # Rendered text: CSS text-transform may have upper-cased a kicker or a button.
    shown = visible_text(browser)
    return normalize(text) in shown or normalize(text).casefold() in shown.casefold()


def _displayed_first(elements: list[WebElement]) -> WebElement | None:
    shown = [element for element in elements if element.is_displayed()]
    return (shown or elements or [None])[0]


def find_field(browser: Any, name: str) -> WebElement | None:
    """Return the form field labelled ``name``, else named ``name``, else with id ``name``."""
    literal = xpath_literal(normalize(name))
    labels = browser.find_elements(
        By.XPATH,
        f"//label[normalize-space(.)={literal} or normalize-space(.)=concat({literal}, ':')"
        f" or normalize-space(.)=concat({literal}, ' *') or normalize-space(.)=concat({literal}, ':*')"
        f" or normalize-space(.)=concat({literal}, ' :')]",
    )
    for label in labels:
        target = label.get_attribute("for")
        if target:
            found = browser.find_elements(By.ID, target)
        else:
            found = label.find_elements(By.XPATH, ".//input | .//select | .//textarea")
        if found:
            return found[0]
    fields = "self::input or self::select or self::textarea"
    for by_name in (f"//*[({fields}) and @name={literal}]", f"//*[({fields}) and @id={literal}]"):
        element = _displayed_first(browser.find_elements(By.XPATH, by_name))
        if element is not None:
            return element
    return None


def field_named(name: str) -> WebElement:
    return wait_for(lambda browser: find_field(browser, name),
                    lambda: f'no field labelled, named or with id "{name}" on {world.browser.current_url}')


def find_button(browser: Any, name: str) -> WebElement | None:
    literal = xpath_literal(normalize(name))
    kinds = "@type='submit' or @type='button' or @type='reset' or @type='image'"
    return _displayed_first(browser.find_elements(
        By.XPATH,
        f"//button[normalize-space(.)={literal} or @id={literal} or @name={literal}"
        f" or @value={literal}]"
        f" | //input[({kinds}) and (@value={literal} or @id={literal} or @name={literal})]",
    ))


def find_link(browser: Any, text: str) -> WebElement | None:
    literal = xpath_literal(normalize(text))
    exact = _displayed_first(browser.find_elements(By.XPATH, f"//a[normalize-space(.)={literal}]"))
    if exact is not None:
        return exact
    return _displayed_first(browser.find_elements(By.PARTIAL_LINK_TEXT, text))


def same_location(current: str, expected: str) -> bool:
    """Compare URLs; a relative ``expected`` compares path (and query when it has one)."""
    if expected.startswith("/"):
        here = urlsplit(current)
        wanted = urlsplit(expected)
        return here.path == wanted.path and (not wanted.query or here.query == wanted.query)
    return current.rstrip("/") == expected.rstrip("/")


@step(r'^I (?:am at|visit|go to) "([^"]*)"$')
def visit(step: Any, url: str) -> None:
    world.browser.get(resolve_url(url))


@step(r'^I should be at "([^"]*)"$')
def should_be_at(step: Any, url: str) -> None:
    wait_for(lambda browser: same_location(browser.current_url, url),
             lambda: f'expected to be at "{url}", but the browser is at {world.browser.current_url}')


@step(r'^I should see "([^"]*)"$')
def should_see(step: Any, text: str) -> None:
    wait_for(lambda browser: page_contains(browser, text),
             lambda: f'"{text}" is not on {world.browser.current_url}')


@step(r'^I should not see "([^"]*)"$')
def should_not_see(step: Any, text: str) -> None:
    wait_for(lambda browser: browser.execute_script("return document.readyState") == "complete",
             lambda: f"{world.browser.current_url} never finished loading")
    assert not page_contains(world.browser, text), (
        f'"{text}" is on {world.browser.current_url}, and should not be'
    )


@step(r'^I should see a link to "([^"]*)"$')
def should_see_link(step: Any, target: str) -> None:
    def link_present(browser: Any) -> bool:
        if target.startswith(("/", "http://", "https://")):
            wanted = resolve_url(target)
            return any(urljoin(browser.current_url, link.get_attribute("href") or "") == wanted
                       for link in browser.find_elements(By.TAG_NAME, "a"))
        return find_link(browser, target) is not None

    wait_for(link_present, lambda: f'no link to "{target}" on {world.browser.current_url}')


@step(r'^I should see a link to "([^"]*)" with the url "([^"]*)"$')
def should_see_link_with_url(step: Any, text: str, url: str) -> None:
    wanted = resolve_url(url)
    literal = xpath_literal(normalize(text))

    def link_present(browser: Any) -> bool:
        links = browser.find_elements(By.XPATH, f"//a[normalize-space(.)={literal}]")
        return any(link.get_attribute("href") == wanted for link in links)

    wait_for(link_present, lambda: f'no link "{text}" to {url} on {world.browser.current_url}')


@step(r'^I fill in "([^"]*)" with "([^"]*)"$')
def fill_in(step: Any, name: str, value: str) -> None:
    element = field_named(name)
    element.clear()
    element.send_keys(value)


@step(r"^I fill in the following:$")
def fill_in_table(step: Any) -> None:
    for row in step.hashes:
        lowered = {key.lower(): value for key, value in row.items()}
        fill_in(step, lowered["field"], lowered["value"])


@step(r'^I select "([^"]*)" from "([^"]*)"$')
def select_option(step: Any, option: str, name: str) -> None:
    Select(field_named(name)).select_by_visible_text(option)


@step(r'^I (check|uncheck) "([^"]*)"$')
def check_box(step: Any, action: str, name: str) -> None:
    element = field_named(name)
    if element.is_selected() != (action == "check"):
        element.click()


@step(r'^I press "([^"]*)"$')
def press(step: Any, name: str) -> None:
    wait_for(lambda browser: find_button(browser, name),
             lambda: f'no button "{name}" on {world.browser.current_url}').click()


@step(r'^I click "([^"]*)"$')
def click(step: Any, text: str) -> None:
    wait_for(lambda browser: find_link(browser, text),
             lambda: f'no link "{text}" on {world.browser.current_url}').click()


@step(r'^The page title should be "([^"]*)"$')
def page_title(step: Any, title: str) -> None:
    wait_for(lambda browser: normalize(browser.title) == normalize(title),
             lambda: f'the page title is "{world.browser.title}", not "{title}"')


@step(r'^I should see (\d+) elements? matching "([^"]*)"$')
def count_elements(step: Any, count: str, selector: str) -> None:
    expected = int(count)
    wait_for(lambda browser: len(browser.find_elements(By.CSS_SELECTOR, selector)) == expected,
             lambda: f'{len(world.browser.find_elements(By.CSS_SELECTOR, selector))} elements '
                     f'match "{selector}", not {expected}')


def texts_of(selector: str) -> list[str]:
    """Return the visible text of each element matching the CSS ``selector``."""
    return [normalize(element.text) for element in world.browser.find_elements(By.CSS_SELECTOR, selector)]


__all__ = ["find_button", "find_field", "find_link", "normalize", "texts_of", "wait_for"]
