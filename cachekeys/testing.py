"""Real memcached, Nginx and gunicorn on free loopback ports, for tests and features.

``Stack`` puts a private memcached and a standalone Nginx (rendered by the
``nginx_config --standalone`` command, exactly as ops would) in front of app servers
you give it. Nothing here is a mock: every process is the one production runs.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if sig != signal.SIGKILL:
            os.kill(process.pid, signal.SIGCONT)  # a paused process cannot exit
        process.send_signal(sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def world_readable_dir(prefix: str) -> Path:
    # Nginx workers run unprivileged: a 0700 temp dir turns hits into 403s.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class Memcached:
    """A private memcached; ``pause()`` makes it hang, ``kill()`` makes it vanish."""

    def __init__(self, port: int | None = None, memory_mb: int = 64) -> None:
        self.port = port or free_port()
        self.memory_mb = memory_mb
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Memcached":
        command = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
                   "-m", str(self.memory_mb)]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # memcached refuses to run as root
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        return self

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)

    def stop(self) -> None:
        # A cache has nothing to save, and memcached's graceful exit takes 0.7 s.
        self.kill()


class Nginx:
    """A standalone Nginx rendered by ``nginx_config --standalone``."""

    def __init__(self, app: list[str], memcached: list[str], run_dir: Path,
                 port: int | None = None, workers: str = "1") -> None:
        self.port = port or free_port()
        self.app = app
        self.memcached = memcached
        self.run_dir = run_dir
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.run_dir / "nginx.conf"

    def render(self) -> str:
        out = io.StringIO()
        args = ["--standalone", f"--listen=127.0.0.1:{self.port}", f"--run-dir={self.run_dir}",
                f"--workers={self.workers}"]
        args += [f"--app={a}" for a in self.app] + [f"--memcached={m}" for m in self.memcached]
        call_command("nginx_config", *args, stdout=out)
        return out.getvalue()

    def start(self) -> "Nginx":
        self.config_path.write_text(self.render())
        with open(self.run_dir / "nginx.stderr", "wb") as stderr:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [nginx_binary(), "-c", str(self.config_path), "-p", str(self.run_dir), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )
        wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process, signal.SIGQUIT)  # graceful: finish the requests under way


def nginx_binary() -> str:
    """Nginx lives in /usr/sbin, which a normal user's PATH on Debian does not include."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin") or "nginx"


class Gunicorn:
    """The app server ``make run`` uses, in a subprocess with its own environment."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None, workers: int = 2,
                 wsgi: str = "site_project.wsgi:application", options: Sequence[str] = (),
                 start_timeout: float = 20.0) -> None:
        self.port = port or free_port()
        self.env = env
        self.log = log
        self.workers = workers
        self.wsgi = wsgi
        self.options = list(options)  # more gunicorn flags, after the access log's
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Gunicorn":
        with open(self.log, "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", self.wsgi,
                 "--bind", self.address, "--workers", str(self.workers), "--access-logfile", "-", *self.options],
                cwd=settings.BASE_DIR, env={**os.environ, **self.env},
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, timeout=self.start_timeout)
        return self

    def stop(self) -> None:
        stop_process(self.process)


class Stack:
    """memcached (one or more nodes) and Nginx in front of the given app servers.

    Use as a context manager; ``base_url`` is Nginx, ``memcached_servers`` what Django
    in the app servers must be configured with (``MEMCACHED_SERVERS``).
    """

    def __init__(self, app: list[str] | None = None, memcached_nodes: int = 1,
                 collect_static: bool = True) -> None:
        self.run_dir = world_readable_dir("cachekeys-stack-")
        self.static_root = self.run_dir / "static"
        self.memcached = [Memcached() for _ in range(memcached_nodes)]
        self.nginx = Nginx(app or [], self.memcached_servers, self.run_dir)
        self.collect_static = collect_static

    @property
    def memcached_servers(self) -> list[str]:
        return [node.address for node in self.memcached]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.port}"

    def set_app(self, app: list[str]) -> None:
        self.nginx.app = app

    def start(self) -> "Stack":
        for node in self.memcached:
            node.start()
        with override_settings(STATIC_ROOT=str(self.static_root)):
            if self.collect_static:
                call_command("collectstatic", interactive=False, verbosity=0)
            self.nginx.start()
        return self

    def flush(self) -> None:
        """Empty every memcached node (only ever on these private test nodes) and Nginx's tier.

        The tier is told as a purge of everything would tell it (a "*" record in the purge
        log), and the flush returns once Nginx has had time to read it.
        """
        from cachekeys.conf import get_config
        from cachekeys.deletes import append_record
        from cachekeys.pool import MemcachedPool

        for node in self.memcached:
            with socket.create_connection(("127.0.0.1", node.port), 2) as sock:
                sock.sendall(b"flush_all\r\n")
                sock.recv(64)
        config = get_config()
        if config.nginx_first_tier:
            pool = MemcachedPool(self.memcached_servers, 1.0, 1.0)
            told = [append_record(pool, server, b"*", config.key_prefix) for server in pool.servers]
            pool.close()
            if any(told):
                time.sleep(config.purge_wait)

    def stop(self) -> None:
        self.nginx.stop()
        for node in self.memcached:
            node.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> "Stack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()
