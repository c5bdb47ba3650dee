"""Load and what it cost: wrk runs, parsed, and the CPU the server processes spent on them.

CPU is read from ``/proc/<pid>/stat`` (utime + stime, every thread included) for a
process and all its descendants, before and after a run: the server's own work, not
wrk's, divided by the requests it answered.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None  # gone between the listing and the read
    # The command name sits in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2:].split()


def _children(parents: set[int]) -> set[int]:
    found = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            if int(fields[1]) in parents:
                found.add(int(entry.name))
    return found


def process_tree(root: int) -> set[int]:
    """``root`` and every process below it (Nginx workers, gunicorn workers, varnishd's child)."""
    tree, frontier = {root}, {root}
    for _ in range(8):  # deeper trees than master -> worker do not occur here
        frontier = _children(frontier) - tree
        if not frontier:
            break
        tree |= frontier
    return tree


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds spent so far by ``pids`` (all their threads)."""
    total = 0
    for pid in pids:
        if fields := _stat_fields(pid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def wait_idle(pids: set[int], busy: float = 0.05, window: float = 0.25, timeout: float = 5.0) -> None:
    """Wait until ``pids`` use under ``busy`` of a CPU: a server still draining the last
    run's queue (gunicorn has renders queued when wrk stops) must not tax the next one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pids)
        time.sleep(window)
        if cpu_seconds(pids) - before < busy * window:
            return


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors
    non_2xx_3xx: int  # answers wrk counts apart (404s of missing pages, 5xx)
    cpu_seconds: float
    memcached_gets: int = 0  # memcached's cmd_get over the run

    @property
    def gets_per_request(self) -> float:
        return self.memcached_gets / max(self.requests, 1)

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / max(self.requests, 1) * 1e6


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str, cpu: float, gets: int = 0) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not done:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    seconds = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=seconds,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)),
        p99_ms=_milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)),
        errors=errors,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        cpu_seconds=cpu,
        memcached_gets=gets,
    )


def memcached_stats(address: str) -> dict[str, str]:
    """memcached's ``stats`` (cmd_get, get_hits, bytes, ...)."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), 5) as sock:
        sock.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return {parts[1]: parts[2] for line in data.decode().splitlines()
            if len(parts := line.split()) == 3 and parts[0] == "STAT"}


def memcached_gets(addresses: list[str]) -> int:
    return sum(int(memcached_stats(address).get("cmd_get", 0)) for address in addresses)


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` in KB (0 if it is gone)."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def run_wrk(url: str, server_pids: set[int], seconds: float, connections: int = 32,
            threads: int = 2, headers: dict[str, str] | None = None, script: tuple[Path, list[str]] | None = None,
            memcached: list[str] | None = None, wait: bool = True) -> WrkResult:
    """Load ``url`` with wrk (``script``: a Lua file and its arguments) and charge the CPU ``server_pids``
    spent meanwhile, and the gets ``memcached`` served."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    tail = [url]
    if script:
        command += ["-s", str(script[0])]
        tail += ["--", *script[1]]
    gets_before = memcached_gets(memcached) if memcached else 0
    before = cpu_seconds(server_pids)
    done = subprocess.run(command + tail, capture_output=True, text=True, timeout=seconds + 60)
    spent = cpu_seconds(server_pids) - before
    gets = memcached_gets(memcached) - gets_before if memcached else 0
    # Requests wrk left queued (gunicorn's) are not its answers: not charged, but waited
    # for, so they do not tax the next contender's run.
    if wait:
        wait_idle(server_pids)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout, spent, gets)
