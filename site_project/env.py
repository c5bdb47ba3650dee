"""Strict readers for the environment variables the settings are built from.

django-environ does the parsing; these wrappers make every malformed value fail at
start-up with an ``ImproperlyConfigured`` that names the variable, instead of being
read silently as a default (django-environ reads ``DEBUG=maybe`` as False).
"""
from __future__ import annotations

import ipaddress
import re
import warnings

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# host:port, the host a name, an IPv4 address, or a bracketed IPv6 address.
_SERVER = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")


def read_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}."
    )


def read_list(name: str, default: list[str]) -> list[str]:
    if name not in env.ENVIRON:
        return list(default)
    return [item.strip() for item in env.str(name).split(",") if item.strip()]


def read_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number (0 or more), got {raw!r}.")
    return int(raw)


def read_addresses(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list of IP addresses or networks (``10.0.0.5``, ``10.0.0.0/24``)."""
    addresses = read_list(name, default)
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} holds {address!r}, which is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from None
    return addresses


_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def read_proxy_ssl_header(name: str, default: tuple[str, str]) -> tuple[str, str]:
    """Read ``Header-Name,value`` (``X-Forwarded-Proto,https``) as Django's ``(META key, value)``.

    Django names the header as ``request.META`` does (``HTTP_X_FORWARDED_PROTO``); either
    spelling is accepted here.
    """
    if name not in env.ENVIRON:
        return default
    header, _, value = env.str(name).partition(",")
    header, value = header.strip(), value.strip()
    if header.upper().startswith("HTTP_"):
        header = header[5:].replace("_", "-")
    if not _HEADER_NAME.match(header) or not value or "," in value:
        raise ImproperlyConfigured(
            f"{name} must be a header name and the value meaning HTTPS, e.g. 'X-Forwarded-Proto,https'; "
            f"got {env.str(name)!r}."
        )
    return "HTTP_" + header.upper().replace("-", "_"), value


def read_servers(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list of ``host:port`` memcached servers."""
    servers = read_list(name, default)
    if not servers:
        raise ImproperlyConfigured(f"{name} must list at least one host:port server.")
    for server in servers:
        match = _SERVER.match(server)
        if not match or not 0 < int(match["port"]) < 65536:
            raise ImproperlyConfigured(
                f"{name} holds {server!r}, which is not host:port (e.g. 127.0.0.1:11211)."
            )
    return servers


def read_database(name: str, default: str) -> dict:
    raw = env.str(name, default=default)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # we raise our own, clearer error below
            config = environ.Env.db_url_config(raw)
    except Exception as error:  # django-environ raises several types for bad URLs
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from error
    # An unknown scheme comes back as a bare word ("foo") or nothing, never a module path.
    if "." not in config.get("ENGINE", ""):
        raise ImproperlyConfigured(f"{name} has an unknown database scheme: {raw!r}.")
    # django-environ reads "sqlite://" as ":memory:": each gunicorn worker would get its own
    # empty database, so a URL without a file is an error, not an in-memory database.
    if config["ENGINE"].endswith("sqlite3") and config.get("NAME") in (None, "", ":memory:"):
        raise ImproperlyConfigured(f"{name} names no SQLite file: {raw!r}.")
    return config


def read_positive_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    if not raw.isdigit() or int(raw) <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive whole number, got {raw!r}.")
    return int(raw)


def read_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.str(name, default=default).strip().lower()
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return raw


def read_port(name: str) -> int | None:
    """A TCP port, or None when the variable is unset or empty."""
    raw = env.str(name, default="").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ImproperlyConfigured(f"{name} must be a port number (1-65535), got {raw!r}.")
    return int(raw)


def read_secret_key(name: str, debug: bool) -> str:
    value = env.str(name, default="").strip()
    if value:
        return value
    if debug:
        return "insecure-development-key-only-used-with-DEBUG"
    raise ImproperlyConfigured(
        f"Set the {name} environment variable (required unless DEBUG is on; `make run` keeps "
        f"one in var/secret_key: export {name}=\"$(cat var/secret_key)\").")
