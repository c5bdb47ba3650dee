"""Render the Nginx config from the same settings Django stores pages with.

The templates live in ``deploy/nginx/`` (``CACHEKEYS["NGINX_TEMPLATE_DIR"]``). What Nginx
and Django must agree on (key expression and prefix, query allow-list, session cookie,
bypassed paths, memcached nodes, the first tier and its purge log, the grace copies' keys,
the page shown while Django is down) all comes from here.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import render_to_string

from cachekeys.conf import Config, get_config
from cachekeys.deletes import GRACE_PREFIX, log_keys
from cachekeys.fragments import LUA_INCLUDE_PATTERN
from cachekeys.missing import KINDS as MISSING_KINDS, ROUTED as MISSING_ROUTED, token_key
from cachekeys.keys import NGINX_KEY_EXPRESSION, TrackingParams

MODULE_DIRS = (Path("/usr/share/nginx/modules"), Path("/usr/lib/nginx/modules"))
MIME_TYPES = Path("/etc/nginx/mime.types")
# The first tier's default budget per Nginx worker (NGINX_FIRST_TIER_MB says otherwise).
MB_PER_WORKER = 64
# Seconds a reader of the 503 page is asked to wait (Retry-After).
RETRY_AFTER = 30
# Pages each Nginx worker keeps ready in its own Lua memory (both forms), in front of the
# shared tier: a few MB for a magazine's pages.
HOT_PAGES = 256


@dataclass
class NginxOptions:
    listen: str
    app: list[str]
    memcached: list[str]
    standalone: bool = False
    run_dir: Path | None = None
    worker_processes: str = "auto"
    access_log: bool = True


def server_names(allowed_hosts: list[str]) -> tuple[str, bool]:
    """Return Nginx's ``server_name`` for ``ALLOWED_HOSTS`` and whether to refuse others.

    ``.example.com`` means the same to both; ``*`` lets every host through.
    """
    if not allowed_hosts or "*" in allowed_hosts:
        return "_", False
    hosts = list(dict.fromkeys(host.lower() for host in allowed_hosts))
    # Nginx's ".site.test" already names "site.test": listing both makes it drop one.
    wildcards = {host[1:] for host in hosts if host.startswith(".")}
    return " ".join(host for host in hosts if host not in wildcards), True


def modules_dir() -> Path:
    for directory in MODULE_DIRS:
        if (directory / "ngx_http_lua_module.so").exists():
            return directory
    raise ImproperlyConfigured(
        "Nginx's Lua module was not found in "
        + ", ".join(map(str, MODULE_DIRS))
        + ": install the Debian packages libnginx-mod-http-lua and libnginx-mod-http-ndk."
    )


def lua_string(value: str) -> str:
    # JSON string escapes are valid Lua string escapes for the ASCII the checks allow.
    return json.dumps(value)


def lua_long_string(text: str) -> str:
    """``text`` as a Lua long bracket string whose level no line of it closes."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[\n{text}]{'=' * level}]"


# The smallest shared dict Nginx accepts is 8 memory pages; a little more leaves room for pages.
TIER_MIN_KB = 64


def tier_megabytes(config: Config, workers: str) -> float:
    """The first tier's budget: NGINX_FIRST_TIER_MB, else MB_PER_WORKER per Nginx worker.

    ``workers`` is what ``worker_processes`` says; ``auto`` (Nginx's default on Debian
    too) is one per CPU, as Nginx counts them.
    """
    if config.nginx_first_tier_mb:
        return max(TIER_MIN_KB / 1024, float(config.nginx_first_tier_mb))
    count = int(workers) if str(workers).isdigit() else (os.cpu_count() or 1)
    return MB_PER_WORKER * max(1, count)


def socket_address(server: str) -> str:
    """``server`` (HOST:PORT) with its host resolved, for the Lua sockets (the purge log's reader).

    Nginx resolves an upstream's host names once, when it loads its config; Lua's sockets
    could only ask a ``resolver`` (DNS alone, not /etc/hosts). So the name is resolved here,
    once, when the config is rendered: the same moment in a deploy.
    """
    host, _, port = server.rpartition(":")
    host = host.strip("[]")
    if server.startswith("unix:") or not port.isdigit():
        return server
    try:
        ipaddress.ip_address(host)
        return server
    except ValueError:
        pass
    try:
        family, *_, sockaddr = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as error:
        raise ImproperlyConfigured(f"memcached server {server!r}: its host does not resolve here ({error})")
    address = sockaddr[0]
    return f"[{address}]:{port}" if family == socket.AF_INET6 else f"{address}:{port}"


def unavailable_page() -> str:
    """The site's own page for "no app server answers" (503), rendered once, here.

    The template ``UNAVAILABLE_TEMPLATE`` names (a site's own, branded); a plain one when
    it does not exist. It is rendered without a request or the database: Django is down
    when it is shown.
    """
    try:
        return render_to_string(get_config().unavailable_template)
    except TemplateDoesNotExist:
        return render_to_string("cachekeys/503.html")


def context(options: NginxOptions, config: Config) -> dict:
    names, reject_unknown = server_names(list(settings.ALLOWED_HOSTS))
    tracking = TrackingParams(config.tracking_params)
    counter, epoch, record = log_keys(config.key_prefix)
    return {
        "listen": options.listen,
        "app": options.app,
        "memcached": options.memcached,
        "memcached_sockets": [socket_address(server) for server in options.memcached],
        "server_names": names,
        "reject_unknown_hosts": reject_unknown,
        "key_expression": NGINX_KEY_EXPRESSION.replace("PREFIX", lua_string(config.key_prefix)),
        "query_params": sorted(config.query_params),
        "tracking_exact": sorted(tracking.exact),
        "tracking_prefixes": list(tracking.prefixes),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "bypass_prefixes": config.bypass_prefixes,
        "static_url": settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/",
        "static_root": str(settings.STATIC_ROOT).rstrip("/"),
        # Uploaded photos, named by content hash (blog.images): served from disk for a year.
        "media_url": getattr(settings, "MEDIA_URL", "") if str(getattr(settings, "MEDIA_URL", "")).startswith("/") else "",
        "media_root": str(getattr(settings, "MEDIA_ROOT", "")).rstrip("/"),
        "upload_max_mb": getattr(settings, "UPLOAD_MAX_MB", 20),
        "memcached_timeout_ms": config.nginx_memcached_timeout_ms,
        "memcached_buffer": config.nginx_memcached_buffer,
        "gzip_flag": config.gzip_flag,
        "first_tier": config.nginx_first_tier,
        "first_tier_lua": "true" if config.nginx_first_tier else "false",
        "first_tier_ttl": float(config.nginx_first_tier_ttl),
        "hot_pages": HOT_PAGES,
        "first_tier_kb": round(tier_megabytes(config, options.worker_processes) * 1024),
        "purge_poll": config.nginx_purge_poll_seconds,
        "purge_window": config.purge_window,
        "log_counter": lua_string(counter),
        "log_epoch": lua_string(epoch),
        "log_record": lua_string(record),
        "grace_prefix": lua_string(GRACE_PREFIX),
        "include_pattern": lua_string(LUA_INCLUDE_PATTERN),
        "grace_prefix_raw": GRACE_PREFIX,
        "unavailable_page": lua_long_string(unavailable_page()),
        "retry_after": RETRY_AFTER,
        "missing_seconds": config.missing_seconds,
        "missing_mb": config.missing_mb,
        "missing_token_keys": [(kind, token_key(config.key_prefix, kind)) for kind in MISSING_KINDS],
        "missing_routed": MISSING_ROUTED,
        "probe_prefixes": [p for p in config.probe_paths if p.endswith("/")],
        "probe_exact": [p for p in config.probe_paths if not p.endswith("/")],
        **client_context(config),
    }


def client_context(config: Config) -> dict:
    """What Nginx needs to tell Django who the client is and whether it came over HTTPS."""
    meta_name, ssl_value = settings.SECURE_PROXY_SSL_HEADER or ("HTTP_X_FORWARDED_PROTO", "https")
    header = "-".join(part.capitalize() for part in meta_name.removeprefix("HTTP_").split("_"))
    return {
        "real_ip_from": list(config.nginx_real_ip_from),
        "metrics_allow": list(config.metrics_allow),
        "ssl_header": header,
        "ssl_header_variable": "$http_" + meta_name.removeprefix("HTTP_").lower(),
        "ssl_value": ssl_value,
        "ssl_value_regex": re.escape(ssl_value),
        "ssl_redirect": bool(settings.SECURE_SSL_REDIRECT),
    }


def render(options: NginxOptions, config: Config | None = None) -> str:
    """Return the server block (with its upstreams), or a whole nginx.conf if standalone."""
    config = config or get_config()
    engine = Engine(dirs=[str(config.nginx_template_dir)], autoescape=False)
    values = context(options, config)
    # A standalone Nginx owns its port: each worker gets its own listening socket and the
    # kernel spreads connections evenly (one busy worker would otherwise take most).
    values["reuseport"] = " reuseport" if options.standalone and not options.listen.startswith("unix:") else ""
    site = engine.get_template("site.conf").render(Context(values))
    if not options.standalone:
        return site
    run_dir = Path(options.run_dir or Path.cwd()).resolve()
    return engine.get_template("standalone.conf").render(
        Context(
            {
                **values,
                "site": site,
                "run_dir": str(run_dir),
                "modules_dir": str(modules_dir()),
                "mime_types": str(MIME_TYPES),
                "worker_processes": options.worker_processes,
                # Buffered: one write a second, not one per hit (a hit costs microseconds).
                "access_log": (f"{run_dir}/access.log cachekeys buffer=64k flush=1s"
                               if options.access_log else "off"),
            }
        )
    )
