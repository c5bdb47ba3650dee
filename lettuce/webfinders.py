"""Finding things on the browser's page for the web steps, and waiting for them.

Fields are found as ``lettuce_webdriver`` found them, by ``id``, then ``name``, then a
label (its whole text, a trailing ``:``/``*`` ignored, else any label containing the
words), limited to the kinds of field a step is about (a checkbox for ``I check``, a
text-like field for ``I fill in``). Checks wait up to ``WAIT_SECONDS`` (or the seconds a
step names), because a click may still be loading the next page.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from lettuce.urls import resolve_url
from lettuce.world import world

# Long enough for a page behind Nginx on a busy CI machine, short enough to fail fast.
WAIT_SECONDS = 10
T = TypeVar("T")

# lettuce_webdriver's field kinds (util.field_xpath), as XPath tests on an element.
TEXT_TYPES = ("text", "password", "month", "time", "week", "number", "range", "email",
              "url", "tel", "color", "search")
DATE_TYPES = ("datetime", "datetime-local", "date")
KINDS = {
    "text": "self::textarea or (self::input and (not(@type) or "
            + " or ".join(f"@type='{kind}'" for kind in TEXT_TYPES + DATE_TYPES) + "))",
    "checkbox": "self::input and @type='checkbox'",
    "radio": "self::input and @type='radio'",
    "select": "self::select",
    "any": "self::input or self::select or self::textarea",
}


def wait_for(condition: Callable[[Any], T], message: Callable[[], str],
             seconds: float = WAIT_SECONDS) -> T:
    """Return ``condition(browser)`` once truthy; fail the step with ``message()`` if never."""
    waiter = WebDriverWait(world.browser, seconds, poll_frequency=0.1,
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


def displayed_first(elements: Iterable[WebElement]) -> WebElement | None:
    elements = list(elements)
    shown = [element for element in elements if element.is_displayed()]
    return (shown or elements or [None])[0]


def _labelled(browser: Any, literal: str, kind_test: str) -> list[WebElement]:
    whole = (f"normalize-space(.)={literal} or normalize-space(.)=concat({literal}, ':')"
             f" or normalize-space(.)=concat({literal}, ' *')"
             f" or normalize-space(.)=concat({literal}, ':*')"
             f" or normalize-space(.)=concat({literal}, ' :')")
    found: list[WebElement] = []
    for test in (whole, f"contains(normalize-space(.), {literal})"):
        for label in browser.find_elements(By.XPATH, f"//label[{test}]"):
            target = label.get_attribute("for")
            if target:
                found += browser.find_elements(By.XPATH, f"//*[@id={xpath_literal(target)}][{kind_test}]")
            else:
                found += label.find_elements(By.XPATH, f".//*[{kind_test}]")
        if found:
            return found
    return found


def find_field(browser: Any, name: str, kind: str = "any") -> WebElement | None:
    """Return the field of ``kind`` with id ``name``, else that name, else labelled so."""
    literal = xpath_literal(normalize(name))
    kind_test = KINDS[kind]
    for attribute in ("id", "name"):
        element = displayed_first(browser.find_elements(
            By.XPATH, f"//*[({kind_test}) and @{attribute}={literal}]"))
        if element is not None:
            return element
    return displayed_first(_labelled(browser, literal, kind_test))


def field_named(name: str, kind: str = "any") -> WebElement:
    return wait_for(lambda browser: find_field(browser, name, kind),
                    lambda: f'no {"" if kind == "any" else kind + " "}field with id, name or '
                            f'label "{name}" on {world.browser.current_url}')


def find_button(browser: Any, name: str) -> WebElement | None:
    literal = xpath_literal(normalize(name))
    kinds = "@type='submit' or @type='button' or @type='reset' or @type='image'"
    return displayed_first(browser.find_elements(
        By.XPATH,
        f"//button[normalize-space(.)={literal} or @id={literal} or @name={literal}"
        f" or @value={literal}]"
        f" | //input[({kinds}) and (@value={literal} or @id={literal} or @name={literal})]",
    )) or displayed_first(browser.find_elements(
        By.XPATH, f"//button[contains(normalize-space(.), {literal})]"))


def find_link(browser: Any, text: str) -> WebElement | None:
    literal = xpath_literal(normalize(text))
    exact = displayed_first(browser.find_elements(By.XPATH, f"//a[normalize-space(.)={literal}]"))
    if exact is not None:
        return exact
    return displayed_first(browser.find_elements(By.PARTIAL_LINK_TEXT, text))


def links_to(browser: Any, url: str) -> list[WebElement]:
    """Links whose ``href`` is ``url`` as written, or the same URL once resolved."""
    wanted = {url, resolve_url(url) if not url.startswith(("#", "?")) else url}
    return [link for link in browser.find_elements(By.TAG_NAME, "a")
            if link.get_attribute("href") in wanted
            or urljoin(browser.current_url, link.get_dom_attribute("href") or "") in wanted
            or (link.get_dom_attribute("href") or "") in wanted]


def same_location(current: str, expected: str) -> bool:
    """Compare URLs; a relative ``expected`` compares path (and query when it has one)."""
    if expected.startswith("/"):
        here = urlsplit(current)
        wanted = urlsplit(expected)
        return here.path == wanted.path and (not wanted.query or here.query == wanted.query)
    return current.rstrip("/") == expected.rstrip("/")


def texts_of(selector: str) -> list[str]:
    """Return the visible text of each element matching the CSS ``selector``."""
    return [normalize(element.text) for element in world.browser.find_elements(By.CSS_SELECTOR, selector)]


def cookie_header(browser: Any = None) -> str:
    """The browser's cookies as a ``Cookie`` header (to fetch a page as that visitor)."""
    browser = browser or world.browser
    return "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in browser.get_cookies())


def element_by_id(browser: Any, element_id: str) -> WebElement | None:
    found = browser.find_elements(By.ID, element_id)
    return found[0] if found else None
