"""The contenders the benchmark starts besides the project's own stack.

Varnish in front of the app server, as its users run it (``-b`` backend, default VCL),
and a plain Nginx serving a copy of the page as a static file: the upper bound. Both on
free loopback ports, both stopped with the run.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from cachekeys.testing import free_port, stop_process, wait_for_port, world_readable_dir

STATIC_CONF = """\
# The upper bound: the same page as a file, by the same Nginx build, worker count and
# access log as the project's Nginx, with Nginx's usual static settings.
worker_processes {workers};
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format bench '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time';
    access_log {run}/access.log bench buffer=64k flush=1s;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 10000;
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


class StaticNginx:
    """``body`` served at ``/<name>`` as a static file."""

    def __init__(self, name: str, body: bytes, workers: str = "auto") -> None:
        self.run_dir = world_readable_dir("bench-static-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/{name}"
        self.workers = workers
        www = self.run_dir / "www"
        www.mkdir(mode=0o755)
        (www / name).write_bytes(body)
        (www / name).chmod(0o644)
        self.process: subprocess.Popen | None = None

    def start(self) -> "StaticNginx":
        config = self.run_dir / "nginx.conf"
        config.write_text(STATIC_CONF.format(workers=self.workers, run=self.run_dir, port=self.port))
        self.process = subprocess.Popen(["nginx", "-c", str(config), "-p", str(self.run_dir), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)


class Varnish:
    """varnishd with its default VCL in front of ``backend`` (host:port)."""

    def __init__(self, backend: str, run_dir: Path, ttl: int = 600) -> None:
        self.backend = backend
        self.port = free_port()
        self.work_dir = run_dir / "varnish"
        self.ttl = ttl
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Varnish":
        # As root, varnishd runs its cache process as the Debian package's vcache user
        # (-j unix, its default); -F keeps the manager in the foreground for us to stop.
        command = ["varnishd", "-F", "-a", f"127.0.0.1:{self.port}", "-b", self.backend,
                   "-n", str(self.work_dir), "-s", "malloc,64m", "-t", str(self.ttl)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, timeout=30)
        return self

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
