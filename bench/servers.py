"""The servers the benchmark starts: the project's Nginx as a new user gets it, Varnish, a static file server.

- ``Front``: the project's Nginx rendered by ``manage.py nginx_config`` in a subprocess with the
  environment a deploy gives it, no tuning: ``make run``'s (``Front.make_run``, the Makefile's
  own environment, read with ``make -n run``) or deploy/README.md's one-box recipe
  (``Front.recipe``: the site file included by Debian's stock nginx.conf).
- ``Varnish``: varnishd with the VCL a competent operator writes (bench/varnish.vcl).
- ``StaticNginx``: every page's bytes as files (and .gz twins) served by a plain Nginx.
All on free loopback ports, stopped with the run.
"""
from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import process_tree, rss_kb
from cachekeys.testing import Gunicorn, free_port, stop_process, wait_for_port, world_readable_dir
from tests.http import fetch

ROOT = Path(__file__).resolve().parent.parent
VCL = Path(__file__).with_name("varnish.vcl")
DEBIAN_PREFIX = Path("/usr/share/nginx")
ASSIGNMENT = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=")

# Debian's /etc/nginx/nginx.conf (nginx 1.22), paths moved into the run folder: what a site
# file dropped into sites-enabled/ by the deploy/README.md recipe runs inside.
DEBIAN_CONF = """\
worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/error.log;
include /etc/nginx/modules-enabled/*.conf;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {run}/access.log;
    gzip on;
    client_body_temp_path {run}/client_body_temp;
    proxy_temp_path {run}/proxy_temp;
    fastcgi_temp_path {run}/fastcgi_temp;
    uwsgi_temp_path {run}/uwsgi_temp;
    scgi_temp_path {run}/scgi_temp;
    include {run}/site.conf;
}}
"""

STATIC_CONF = """\
# The upper bound: every page as a file (and its .gz twin), by the same Nginx build and
# worker count as ours, with Nginx's usual static settings.
worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type text/html;
    log_format bench '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time';
    access_log {run}/access.log bench buffer=64k flush=1s;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 10000;
    open_file_cache max=100000 inactive=60s;
    gzip_static on;
    gzip_vary on;
    client_body_temp_path {run}/client_body_temp;
    proxy_temp_path {run}/proxy_temp;
    fastcgi_temp_path {run}/fastcgi_temp;
    uwsgi_temp_path {run}/uwsgi_temp;
    scgi_temp_path {run}/scgi_temp;
    server {{
        listen 127.0.0.1:{port} reuseport;
        server_tokens off;
        root {run}/www;
    }}
}}
"""


def _nginx(config: Path, run_dir: Path, port: int, prefix: Path | None = None) -> subprocess.Popen:
    """Nginx on ``config``; ``prefix``: what relative paths in it resolve against (the run folder)."""
    with open(run_dir / "nginx.stderr", "wb") as stderr:  # the child keeps its own copy
        process = subprocess.Popen(["nginx", "-c", str(config), "-p", str(prefix or run_dir), "-g", "daemon off;"],
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    wait_for_port(port, process)
    return process


@dataclass(frozen=True)
class Ports:
    """Chosen before Django reads its settings: ``make run``'s environment names them."""
    front: int
    app: int
    memcached: int


def make_run_env(listen: str, app: str, memcached_port: int, run_dir: Path) -> dict[str, str]:
    """The variables ``make run`` sets for its processes besides the secret key: its recipe
    printed by ``make -n`` and its assignments evaluated by bash, as make would run them (so
    the bench follows what the Makefile does today)."""
    printed = subprocess.run(
        ["make", "-s", "-n", "run", f"NGINX_LISTEN={listen}", f"APP_BIND={app}",
         f"MEMCACHED_PORT={memcached_port}", f"RUN_DIR={run_dir}"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = next(line for line in printed.replace("\\\n", " ").splitlines() if "run-local.sh" in line)
    prefix = command.split("bash deploy/run-local.sh")[0]
    names = {name for name in ASSIGNMENT.findall(prefix) if name != "SECRET_KEY"}
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    assigned = subprocess.run(["bash", "-c", f"{prefix} env -0"], cwd=ROOT, env=clean, capture_output=True,
                              text=True, check=True).stdout
    env = {"MEMCACHED_SERVERS": f"127.0.0.1:{memcached_port}"}  # exported by the Makefile
    for entry in assigned.split("\0"):
        name, _, value = entry.partition("=")
        if name in names:
            env[name] = value
    return env


class Front:
    """The project's Nginx, rendered in a subprocess with ``env`` (the deploy's environment)."""

    def __init__(self, label: str, app: str, memcached: str, env: dict[str, str], standalone: bool,
                 port: int | None = None, unset: tuple[str, ...] = ()) -> None:
        self.label = label
        self.app, self.memcached, self.env, self.standalone = app, memcached, env, standalone
        self.unset = unset  # variables of this process the deploy does not have
        self.port = port or free_port()
        self.run_dir = world_readable_dir("bench-front-")
        self.process: subprocess.Popen | None = None
        self.config = ""
        self.start_rss: list[int] = []

    @classmethod
    def make_run(cls, app: str, memcached: str, env: dict[str, str], port: int) -> "Front":
        return cls("make run", app, memcached, env, standalone=True, port=port)

    @classmethod
    def recipe(cls, app: str, memcached: str, make_run_env: dict[str, str]) -> "Front":
        """deploy/README.md's /etc/magazine/env has none of what ``make run`` adds."""
        extra = tuple(name for name in make_run_env if name != "MEMCACHED_SERVERS")
        return cls("deploy/README one box", app, memcached, {}, standalone=False, unset=extra)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render(self) -> str:
        """What deploy/run-local.sh (standalone) or deploy/README.md (site file) runs."""
        args = ["--listen", f"127.0.0.1:{self.port}", "--app", self.app, "--memcached", self.memcached]
        if self.standalone:
            args = ["--standalone", *args, "--run-dir", str(self.run_dir)]
        env = {name: value for name, value in os.environ.items() if name not in self.unset}
        done = subprocess.run([sys.executable, "manage.py", "nginx_config", *args], cwd=ROOT,
                              env={**env, **self.env}, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"nginx_config failed: {done.stderr.strip()}")
        return done.stdout

    def start(self) -> "Front":
        self.config = self.render()
        if self.standalone:
            config = self.run_dir / "nginx.conf"
            config.write_text(self.config)
        else:
            (self.run_dir / "site.conf").write_text(self.config)
            config = self.run_dir / "nginx.conf"
            config.write_text(DEBIAN_CONF.format(run=self.run_dir))
        # Debian's modules-enabled/ names modules relative to the package's prefix.
        self.process = _nginx(config, self.run_dir, self.port, None if self.standalone else DEBIAN_PREFIX)
        time.sleep(0.5)  # the workers are forked after the port is bound
        self.start_rss = self.worker_rss()
        return self

    def worker_rss(self) -> list[int]:
        """Each worker's resident memory, KB, smallest first."""
        master = self.process.pid
        return sorted(rss_kb(pid) for pid in process_tree(master) - {master})

    def stop(self) -> None:
        stop_process(self.process, signal.SIGQUIT)  # graceful: finish the requests under way
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def site_config(self) -> str:
        """The rendered config without what differs between two fronts by construction."""
        return self.config.replace(str(self.run_dir), "RUN").replace(str(self.port), "PORT")


class AppServer(Gunicorn):
    """gunicorn as ``make run`` starts it (deploy/Procfile: 3 workers, the access log on)."""

    def __init__(self, port: int, log: Path, wsgi: str = "site_project.wsgi:application", workers: int = 3) -> None:
        super().__init__(env={}, log=log, port=port, workers=workers, wsgi=wsgi,
                         options=["--forwarded-allow-ips", "127.0.0.1", "--timeout", "120"], start_timeout=60)


class StaticNginx:
    """Files under ``www/`` (``add``), each with a .gz twin for gzip_static."""

    def __init__(self) -> None:
        self.run_dir = world_readable_dir("bench-static-")
        self.www = self.run_dir / "www"
        self.www.mkdir(mode=0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, name: str, body: bytes) -> str:
        """Store ``body`` as ``/name`` (and ``/name.gz``); return its URI."""
        path = self.www / name
        path.write_bytes(body)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(body, 6))
        for file in (path, path.with_name(path.name + ".gz")):
            file.chmod(0o644)
        return f"/{name}"

    def start(self) -> "StaticNginx":
        config = self.run_dir / "nginx.conf"
        config.write_text(STATIC_CONF.format(run=self.run_dir, port=self.port))
        self.process = _nginx(config, self.run_dir, self.port)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.run_dir, ignore_errors=True)


class Varnish:
    """varnishd with bench/varnish.vcl in front of ``backend`` (host:port), ``-s malloc``."""

    def __init__(self, backend: str, run_dir: Path, storage_mb: int = 256) -> None:
        self.backend = backend
        self.port = free_port()
        self.work_dir = run_dir / f"varnish-{self.port}"
        self.storage_mb = storage_mb
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Varnish":
        host, port = self.backend.rsplit(":", 1)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        vcl = self.work_dir.with_suffix(".vcl")
        vcl.write_text(VCL.read_text().replace("@BACKEND_HOST@", host).replace("@BACKEND_PORT@", port))
        vcl.chmod(0o644)
        # As root, varnishd runs its cache process as the Debian package's vcache user
        # (-j unix, its default); -F keeps the manager in the foreground for us to stop.
        command = ["varnishd", "-F", "-a", f"127.0.0.1:{self.port}", "-f", str(vcl),
                   "-n", str(self.work_dir), "-s", f"malloc,{self.storage_mb}m"]
        with open(self.work_dir.with_suffix(".log"), "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, timeout=30)
        return self

    def ban(self, url_regex: str) -> None:
        """``ban req.url ~ url_regex`` through the VCL's BAN method."""
        answer = fetch(self.base_url, "/", method="BAN", headers={"X-Ban-Url": url_regex})
        if answer.status != 200:
            raise RuntimeError(f"Varnish refused the ban {url_regex!r}: {answer.status} {answer.text[:200]}")

    def stop(self) -> None:
        stop_process(self.process)


def version(command: list[str], pattern: str = "") -> str:
    """The first line of ``command``'s output (stdout or stderr) holding ``pattern``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stdout + done.stderr).splitlines()
    return next((line.strip() for line in lines if pattern in line), lines[0].strip() if lines else "unknown")
