"""The Django side of a harvest run: test database, one live server, a clean slate per scenario.

Django's own test classes do the work. ``HarvestLiveServer`` is a
``StaticLiveServerTestCase`` set up once for the whole run (one port, so one Nginx can
stay in front of it), not once per scenario as behave-django does. Each scenario then
gets ``TransactionTestCase`` isolation: the database is flushed after it (post_migrate
recreates content types and permissions), mail.outbox is emptied before it.

With ``-S``/``--no-server`` the run uses ``HarvestDatabase`` instead: the same isolation
with no server at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import TransactionTestCase

from lettuce.registry import call_hook


class HookedStaticFilesHandler(StaticFilesHandler):
    """The live server's WSGI app, calling Lettuce's handle_request hooks around each request."""

    server: "ServerInfo | None" = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        call_hook("before", "handle_request", environ, self.server)
        try:
            return super().__call__(environ, start_response)
        finally:
            call_hook("after", "handle_request", environ, self.server)


class _NoTest:
    def runTest(self) -> None:  # the class only lends Django's set-up and tear-down
        pass


class HarvestLiveServer(_NoTest, StaticLiveServerTestCase):
    # Nginx proxies to this address, and ALLOWED_HOSTS already has it.
    host = "127.0.0.1"
    static_handler = HookedStaticFilesHandler


class HarvestDatabase(_NoTest, TransactionTestCase):
    pass


@dataclass
class ServerInfo:
    """What Lettuce's ``server`` objects offered hooks: address, port, url."""

    address: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"


class DjangoSide:
    """Own the test case class for the run and give each scenario a clean database."""

    def __init__(self, with_server: bool, port: int | None = None) -> None:
        self.case_class = HarvestLiveServer if with_server else HarvestDatabase
        self.port = port  # None: a free port, so two runs never collide
        self.info: ServerInfo | None = None
        self._started = False

    def start(self) -> None:
        if self.case_class is HarvestLiveServer:
            HarvestLiveServer.port = self.port or 0
        self.case_class.setUpClass()  # starts the live server thread (with_server)
        self._started = True
        if self.case_class is HarvestLiveServer:
            self.info = ServerInfo(HarvestLiveServer.host, HarvestLiveServer.server_thread.port)
            HookedStaticFilesHandler.server = self.info

    def before_scenario(self) -> None:
        self.case_class._pre_setup()  # empties mail.outbox, loads no fixtures

    def after_scenario(self) -> None:
        self.case_class()._post_teardown()  # flushes every table

    def stop(self) -> None:
        if not self._started:
            return
        try:
            self.case_class.tearDownClass()
        finally:
            # unittest would run these after tearDownClass: stop the thread, undo settings.
            self.case_class.doClassCleanups()
            HookedStaticFilesHandler.server = None
            self._started = False
