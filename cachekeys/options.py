"""Every ``CACHEKEYS`` setting, declared once: name, default, parser, check id, hint, meaning.

:mod:`cachekeys.conf` builds the one ``Config`` from this table and
:mod:`cachekeys.checks` reports each value a parser refuses as a system check with the
setting's id and hint (never a traceback). cachekeys/README.md lists the same table.
A parser returns the value in the form the code uses, or raises :class:`Invalid` saying
what is wrong, in words for the person who wrote the setting.
"""
from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cachekeys.keys import DEFAULT_TRACKING_PARAMS, SAFE_PREFIX

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# Written inside double quotes in nginx.conf: no quote, no line break, no trailing "\".
QUOTABLE = re.compile(r'^[^"\n\r]*[^"\n\r\\]$')
HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
NGINX_SIZE = re.compile(r"^[1-9][0-9]*[kKmM]?$")
# A path Nginx can take as a location prefix as written.
NGINX_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
DOTTED_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class Invalid(ValueError):
    """A setting's value is unusable; ``problems`` says why (one system check each)."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    check_id: str
    hint: str
    doc: str
    field: str = ""  # the Config attribute, when not the lower-cased name

    @property
    def attribute(self) -> str:
        return self.field or self.name.lower()


# Parsers ------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _list_of_strings(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise Invalid(f"is {value!r}, not a list of strings")
    odd = [item for item in value if not isinstance(item, str)]
    if odd:
        raise Invalid(f"holds {', '.join(map(repr, odd))}, not strings")
    return list(value)


def number(minimum: float, maximum: float = math.inf, whole: bool = False,
           above: bool = False) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        kind = "a whole number" if whole else "a number"
        ok = _is_number(value) and (not whole or float(value).is_integer())
        ok = ok and (value > minimum if above else value >= minimum) and value <= maximum
        if not ok:
            low = f"over {minimum}" if above else f"at least {minimum}"
            high = "" if maximum == math.inf else f" and at most {maximum}"
            raise Invalid(f"is {value!r}, not {kind} {low}{high}")
        return int(value) if whole else value
    return parse


def optional_number(minimum: float) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        return None if value is None else number(minimum, above=True)(value)
    return parse


def choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in allowed:
            raise Invalid(f"is {value!r}, not one of {', '.join(map(repr, allowed))}")
        return value
    return parse


def optional_port(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise Invalid(f"is {value!r}, not a port number or None")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"is {value!r}, not True or False")
    return value


def servers(value: Any) -> list[str]:
    items = _list_of_strings(value)
    if not items:
        raise Invalid("lists no memcached server")
    bad = [s for s in items if not HOST_PORT.match(s)]
    if bad:
        raise Invalid(f"holds {', '.join(map(repr, bad))}, not host:port")
    return items


def key_prefix(value: Any) -> str:
    if not isinstance(value, str) or not SAFE_PREFIX.match(value):
        raise Invalid(f"{value!r} cannot be reproduced by Nginx's Lua key")
    return value


def names(allow_prefix: bool) -> Callable[[Any], Any]:
    def parse(value: Any) -> tuple[str, ...]:
        items = _list_of_strings(value)
        bad = sorted(n for n in items if not SAFE_NAME.match(n.removesuffix("*") if allow_prefix else n))
        if bad:
            raise Invalid(f"holds {bad!r}; Nginx compares raw names")
        return tuple(items)
    return parse


def quotable(value: Any) -> str:
    if not isinstance(value, str) or not QUOTABLE.match(value):
        raise Invalid(f"{value!r} cannot be written into nginx.conf")
    return value


def nginx_size(value: Any) -> str:
    if not isinstance(value, str) or not NGINX_SIZE.match(value):
        raise Invalid(f"is {value!r}, not an Nginx size such as 64k")
    return value


def paths(value: Any) -> tuple[str, ...]:
    items = _list_of_strings(value)
    bad = [p for p in items if not NGINX_PATH.match(p)]
    if bad:
        raise Invalid(f"holds {', '.join(map(repr, bad))}, not a path starting with /")
    return tuple(items)


def optional_dotted_path(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not DOTTED_PATH.match(value):
        raise Invalid(f"is {value!r}, not a dotted path to a callable")
    return value


def optional_directory(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str,)) and not hasattr(value, "__fspath__"):
        raise Invalid(f"is {value!r}, not a folder")
    return str(value)


def http_url(value: Any) -> str:
    if not _is_http_url(value, schemes=("http", "https")):
        raise Invalid(f"is {value!r}, not http(s)://host[:port]")
    return value


def _is_http_url(url: Any, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in schemes and bool(parts.hostname) and (
            parts.path.startswith("/") or parts.path == "") and (
            parts.port is None or parts.port > 0)
    except (TypeError, ValueError, AttributeError):  # not a string, or a port out of range
        return False


def networks(value: Any) -> tuple[str, ...]:
    items = _list_of_strings(value)
    bad = []
    for address in items:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            bad.append(address)
    if bad:
        raise Invalid(f"holds {', '.join(map(repr, bad))}, not an IP address or network")
    return tuple(items)


# The table ----------------------------------------------------------------------------

TYPE = "cachekeys.E010"  # a value of the wrong type or out of range
TYPE_HINT = "See the CACHEKEYS table in cachekeys/README.md for each setting's form."

SETTINGS: tuple[Setting, ...] = (
    Setting("SERVERS", ["127.0.0.1:11211"], servers, "cachekeys.E004",
            "Write each node as host:port in a list, e.g. [\"127.0.0.1:11211\"].",
            "memcached nodes, host:port; Nginx picks a node with `hash $key consistent` and "
            "Django's client maps keys the same way"),
    Setting("KEY_PREFIX", "", key_prefix, "cachekeys.E003", "Use at most 64 of A-Z a-z 0-9 . _ : / -",
            "prepended to host + URI before hashing"),
    # Purges are exact, so a page's life is a safety net, not what keeps it fresh: an hour,
    # as an operator gives Varnish, rather than a render of every page every few minutes.
    Setting("TIMEOUT", 3600, number(1, whole=True), TYPE, "E.g. 3600 (seconds).",
            "seconds a page lives in memcached"),
    Setting("JITTER", 0.1, number(0, 0.9), TYPE, "E.g. 0.1: up to 10 % shorter.",
            "a page's life is shortened by up to this fraction at random, so pages rendered "
            "together do not expire together"),
    Setting("QUERY_PARAMS", ["page"], names(allow_prefix=False), "cachekeys.E006",
            "Use names of A-Z a-z 0-9 _ . - only.",
            "parameters a cacheable URL may carry; any other sends the request to Django uncached"),
    Setting("TRACKING_PARAMS", list(DEFAULT_TRACKING_PARAMS), names(allow_prefix=True), "cachekeys.E009",
            "Use names of A-Z a-z 0-9 _ . - only, or a prefix ending in *.",
            "parameters the key ignores on both sides (analytics' tags on shared links); name* is a prefix"),
    Setting("STORE_BY_DEFAULT", True, boolean, TYPE, "True or False.",
            "store every page the rules allow unless its view opts out; False: only views "
            "decorated with store_page"),
    Setting("EXPIRY_CAP", None, optional_dotted_path, TYPE, "E.g. \"blog.invalidation.seconds_until_next_publication\".",
            "dotted path to a callable giving the most seconds any page may live now",
            field="expiry_cap_path"),
    Setting("BYPASS_PREFIXES", ["/admin/"], paths, TYPE, "Paths starting with /, e.g. \"/admin/\".",
            "path prefixes Nginx sends straight to Django and Django never stores"),
    Setting("MAX_ITEM_SIZE", 1_000_000, number(1, whole=True), TYPE, "E.g. 1000000 (bytes).",
            "largest gzipped page stored (memcached refuses items over its -I limit, 1 MB)"),
    Setting("CONNECT_TIMEOUT", 0.25, number(0, above=True), TYPE, "E.g. 0.25 (seconds).",
            "pymemcache's connect timeout (it waits forever by default)"),
    Setting("IO_TIMEOUT", 0.25, number(0, above=True), TYPE, "E.g. 0.25 (seconds).",
            "pymemcache's read/write timeout"),
    Setting("GZIP_FLAG", 1, number(1, 2**31, whole=True), TYPE, "E.g. 1.",
            "memcached flag Nginx's memcached_gzip_flag reads as Content-Encoding: gzip"),
    Setting("GZIP_LEVEL", 6, number(1, 9, whole=True), TYPE, "1 (fast) to 9 (small).",
            "compression level of stored pages"),
    Setting("NGINX_MEMCACHED_TIMEOUT_MS", 150, number(1, whole=True), TYPE, "E.g. 150 (milliseconds).",
            "Nginx's own timeouts towards memcached (its defaults are 60 s)"),
    Setting("NGINX_MEMCACHED_BUFFER", "64k", nginx_size, TYPE, "An Nginx size such as 64k.",
            "Nginx's memcached buffer: a whole stored page in one read"),
    Setting("NGINX_TEMPLATE_DIR", None, optional_directory, TYPE, "A folder holding site.conf.",
            "the Nginx templates nginx_config renders (default BASE_DIR/deploy/nginx)"),
    Setting("COALESCE_WAIT_SECONDS", 10.0, number(0), TYPE, "E.g. 10 (seconds); 0 turns coalescing off.",
            "readers of a cold page wait up to this long for the one render under way"),
    Setting("CLAIM_SECONDS", 5, number(1), TYPE, "E.g. 5 (seconds), shorter than the wait.",
            "how soon a waiter takes over from a render that died (whole seconds, rounded up)"),
    Setting("NGINX_FIRST_TIER", True, boolean, TYPE, "True or False.",
            "each Nginx keeps the pages it served in shared memory, purged through the purge "
            "log in memcached (cachekeys.deletes)"),
    Setting("NGINX_FIRST_TIER_TTL", 5.0, number(0, above=True), "cachekeys.E022",
            "E.g. 5.0 (seconds).",
            "seconds a first-tier copy is served before memcached is asked whether it still stands "
            "(also how much a page can outlive its memcached expiry)"),
    Setting("NGINX_FIRST_TIER_MB", None, optional_number(0), "cachekeys.E022",
            "E.g. 256 (megabytes per Nginx), or None for 64 per Nginx worker.",
            "the first tier's budget per Nginx (both copies of each page); past it the least "
            "recently used pages go"),
    Setting("NGINX_PURGE_POLL_SECONDS", 0.1, number(0.01, 5), "cachekeys.E022", "E.g. 0.1 (seconds).",
            "how often each Nginx reads the purge log; a save waits two polls and 0.1 s"),
    Setting("GRACE_SECONDS", 6 * 60 * 60, number(0), TYPE, "E.g. 21600 (6 hours); 0 keeps no copy.",
            "how long a page's grace copy lives, served (X-Cache: STALE) while no app server answers"),
    Setting("UNAVAILABLE_TEMPLATE", "503.html", quotable, TYPE, "A template name such as 503.html.",
            "the page Nginx answers with (503, Retry-After) when no app server answers and no grace "
            "copy exists; rendered into the config, without a request"),
    Setting("NGINX_REAL_IP_FROM", [], networks, "cachekeys.E030",
            "Write the load balancers' addresses like 10.0.0.2 or 10.0.0.0/24.",
            "load balancers in front of Nginx (IP or CIDR): only they may name the client's address "
            "(X-Forwarded-For) and scheme (Django's SECURE_PROXY_SSL_HEADER) to Nginx"),
    Setting("TRUSTED_PROXIES", [], networks, "cachekeys.E032",
            "Write the Nginx fronts' addresses like 10.0.0.5 or 10.0.0.0/24.",
            "the Nginx fronts the app servers hear from besides loopback: the X-Real-IP they send is "
            "the client's address (cachekeys.clients); anyone else's is ignored"),
    Setting("METRICS_ALLOW", [], networks, "cachekeys.E031",
            "Write Prometheus' address like 10.0.0.40 or 10.0.0.0/24.",
            "who may read /_cachekeys/metrics (Nginx's and Django's) besides loopback"),
    Setting("MISSING_SECONDS", 300, number(1, whole=True), TYPE, "E.g. 300 (seconds).",
            "how long an Nginx keeps a 404 Django said may be kept (every purge drops them all sooner)"),
    Setting("MISSING_MB", 8, number(1, 1024, whole=True), TYPE, "E.g. 8 (megabytes per Nginx).",
            "each Nginx's memory for kept 404s; the least recently used go first"),
    Setting("PROBE_PATHS", ["/wp-login.php", "/xmlrpc.php", "/wp-admin/", "/wp-config.php", "/wp-includes/",
                            "/.env", "/.git/", "/.svn/", "/.hg/", "/.htaccess", "/.htpasswd", "/.DS_Store",
                            "/.aws/", "/.ssh/", "/phpmyadmin/", "/phpMyAdmin/", "/pma/", "/vendor/phpunit/",
                            "/cgi-bin/", "/server-status", "/config.php", "/setup.php", "/install.php"],
            paths, TYPE, "Paths starting with /; one ending in / is a prefix.",
            "paths of other software bots probe for: Nginx answers them 404 itself, never Django"),
    Setting("PUBLIC_SCHEME", "http", choice("http", "https"), TYPE, "\"http\" or \"https\" (behind a TLS terminator).",
            "the scheme of absolute URLs in stored pages, feeds and sitemaps: the key holds no scheme"),
    Setting("PUBLIC_PORT", None, optional_port, TYPE, "A port such as 8000, or None for the scheme's own.",
            "the port of absolute URLs in stored pages (None: none written); the key holds no port"),
    Setting("WARM_BASE_URL", "http://127.0.0.1:8000", http_url, TYPE, "E.g. http://127.0.0.1:8000.",
            "the Nginx cache_warm asks (default Host: this URL's)"),
    Setting("WARM_SITEMAP", "/sitemap.xml", quotable, TYPE, "A path such as /sitemap.xml.",
            "the sitemap cache_warm reads"),
    Setting("WARM_PATHS", ["/"], paths, TYPE, "Paths starting with /.",
            "paths cache_warm fetches besides the sitemap's"),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


@dataclass(frozen=True)
class Problem:
    setting: str  # "" for CACHEKEYS itself
    message: str
    check_id: str
    hint: str


def read(user: Any) -> tuple[dict[str, Any], list[Problem]]:
    """Parse ``settings.CACHEKEYS``; return every value (defaults for bad ones) and the problems."""
    if not isinstance(user, dict):
        return ({s.attribute: s.parse(s.default) for s in SETTINGS},
                [Problem("", f"CACHEKEYS is {type(user).__name__}, not a dict.", "cachekeys.E000",
                         "See the CACHEKEYS table in cachekeys/README.md.")])
    problems = [Problem(name, f"CACHEKEYS has an unknown key {name!r}.", "cachekeys.E000",
                        "See the CACHEKEYS table in cachekeys/README.md for the names.")
                for name in sorted(set(user) - set(BY_NAME), key=str)]
    values = {}
    for setting in SETTINGS:
        try:
            values[setting.attribute] = setting.parse(user.get(setting.name, setting.default))
        except Invalid as error:
            values[setting.attribute] = setting.parse(setting.default)
            problems += [Problem(setting.name, f"CACHEKEYS['{setting.name}'] {problem}.",
                                 setting.check_id, setting.hint) for problem in error.problems]
    return values, problems
