"""Split long work into clusters, run them a few at a time, and resume after a crash.

A *cluster-aware* management command accepts ``--cluster=I/N`` and does only the I-th
of N slices of its work (``Cluster.contains`` decides which keys are in a slice);
together, the N runs do everything exactly once. ``run_clusters`` starts one process
per cluster, ``pool`` at a time, and appends a line to a ``ClusterLog`` for each one
that exits successfully. Started again with the same command, it skips the clusters the
log lists, so a run killed at any moment resumes where it stopped.

The log is append-only; each line is ``<checksum> <json>`` and is written with one
``write()`` and fsync'd. A line cut short by a crash fails its checksum and is ignored:
that cluster simply runs again (cluster commands are idempotent).

Nothing here imports Django: the ``run_clusters`` command is a thin adapter.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 10.0  # how long stopped clusters get to exit before SIGKILL


@dataclass(frozen=True)
class Cluster:
    """The ``index``-th (1-based) of ``count`` slices of some work."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"cluster {self.index}/{self.count}: need 1 <= I <= N")

    @classmethod
    def parse(cls, text: str) -> Cluster:
        """Read ``"I/N"``; raise ValueError with a readable message otherwise."""
        index, slash, count = text.strip().partition("/")
        try:
            if not slash:
                raise ValueError
            return cls(int(index), int(count))
        except ValueError:
            raise ValueError(f"{text!r} is not a cluster: write I/N with 1 <= I <= N, e.g. 2/5") from None

    def contains(self, key: int | str) -> bool:
        """Is ``key`` in this slice? Integer keys go round-robin (``key % N``), others by CRC-32."""
        if not isinstance(key, int):
            key = zlib.crc32(str(key).encode())
        return key % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


# -- the log ----------------------------------------------------------------------------

class LogBusy(Exception):
    """Another runner holds the log: the same run is already going on."""


def run_key(argv: Sequence[str], count: int, context: str = "") -> str:
    """Return a short id for "this command, in this many clusters, on this target".

    ``context`` names what the command writes to (e.g. the database). Arguments that
    name existing files add the file's size and modification time, so editing an
    export makes a new run instead of a run that finds everything already done.
    """
    files = []
    for arg in argv:
        path = arg.partition("=")[2] if arg.startswith("--") else arg
        if path and os.path.isfile(path):
            stat = os.stat(path)
            files.append([os.path.abspath(path), stat.st_size, stat.st_mtime_ns])
    text = json.dumps([list(argv), count, context, files])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checksum(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]


def format_line(entry: dict) -> bytes:
    payload = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    return _checksum(payload).encode() + b" " + payload + b"\n"


def parse_line(line: bytes) -> dict | None:
    """Return the entry of a complete, intact log line, else None."""
    if not line.endswith(b"\n"):
        return None  # cut short by a crash
    checksum, _, payload = line.rstrip(b"\n").partition(b" ")
    if _checksum(payload).encode() != checksum:
        return None
    try:
        entry = json.loads(payload)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


class ClusterLog:
    """The finished clusters of one run (``key``), in an append-only file.

    Use as a context manager: entering takes an exclusive lock on the file (a second
    runner of the same log fails with ``LogBusy``) and ends a line left half-written
    by a crash, so the next record starts on a line of its own.
    """

    def __init__(self, path: str | os.PathLike, key: str) -> None:
        self.path = Path(path)
        self.key = key
        self._fd: int | None = None

    def __enter__(self) -> ClusterLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(self._fd)
            self._fd = None
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise LogBusy(f"another run_clusters is using {self.path}") from None
            raise
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            self._append(b"\n")
        if created:
            _fsync_dir(self.path.parent)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # also releases the lock
            self._fd = None

    def entries(self) -> list[dict]:
        """Every intact entry of this run (other runs may share the file)."""
        try:
            with open(self.path, "rb") as stream:
                lines = stream.readlines()
        except FileNotFoundError:
            return []
        entries = (parse_line(line) for line in lines)
        return [entry for entry in entries if entry and entry.get("run") == self.key]

    def finished(self, count: int) -> set[int]:
        return {
            entry["cluster"] for entry in self.entries()
            if entry.get("of") == count and isinstance(entry.get("cluster"), int)
            and 1 <= entry["cluster"] <= count
        }

    def record(self, cluster: Cluster, seconds: float) -> None:
        """Append "cluster finished" durably; only then does it count as done."""
        self._append(format_line({
            "run": self.key, "cluster": cluster.index, "of": cluster.count,
            "seconds": round(seconds, 3),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }))

    def _append(self, data: bytes) -> None:
        assert self._fd is not None, "use ClusterLog as a context manager"
        os.write(self._fd, data)  # O_APPEND: one write, at the end, never interleaved
        os.fsync(self._fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- the runner -------------------------------------------------------------------------

@dataclass
class Outcome:
    cluster: Cluster
    returncode: int
    seconds: float
    output: Path  # the cluster's stdout and stderr; deleted after a success
    last_line: str = ""


@dataclass
class RunResult:
    count: int
    skipped: list[int] = field(default_factory=list)  # finished by an earlier run
    succeeded: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    interrupted: str | None = None  # the signal's name if the run was stopped
    output_dir: Path | None = None


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: children are forked from a single thread


def _die_with_parent(prctl, runner: int) -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM this child when the runner dies, even by SIGKILL.

    Otherwise a killed runner leaves its clusters running unlogged next to the resumed
    run. Runs between fork and exec, so it only calls a function looked up beforehand.
    """
    prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != runner:  # the runner died before prctl: nobody would log us
        os._exit(1)


def _death_signal():
    """Return the preexec function that ties a child's life to ours, where Linux allows it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return functools.partial(_die_with_parent, prctl, os.getpid())


def run_clusters(
    command: Sequence[str],
    count: int,
    pool: int,
    log: ClusterLog,
    *,
    output_dir: str | os.PathLike,
    echo: Callable[[str], None] = print,
    progress: bool = True,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Run ``command + ["--cluster=I/N"]`` for every I not yet in ``log``, ``pool`` at a time.

    ``command`` is the full argv of one run (e.g. ``[python, "manage.py", "import_wordpress",
    "export.xml"]``). Each cluster's output goes to a file in ``output_dir``, kept only if
    the cluster fails. A failing cluster does not stop the others. SIGINT and SIGTERM
    stop the run: running clusters are terminated and not logged. ``log`` must be entered.
    """
    if count < 1 or pool < 1:
        raise ValueError("count and pool must be at least 1")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    done = log.finished(count)
    result = RunResult(count=count, skipped=sorted(done), output_dir=output_dir)
    waiting = deque(Cluster(index, count) for index in range(1, count + 1) if index not in done)
    running: dict[Cluster, tuple[subprocess.Popen, float, Path]] = {}
    stop: list[int] = []
    previous = _catch_signals(lambda signum, frame: stop.append(signum))
    bar = _Bar(total=count, initial=len(done), unit="cluster", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    preexec = _death_signal()

    def reap() -> None:
        for cluster, (process, started, output) in list(running.items()):
            if process.poll() is None:
                continue
            del running[cluster]
            outcome = Outcome(cluster, process.returncode, time.monotonic() - started,
                              output, _last_line(output))
            if process.returncode == 0:
                log.record(cluster, outcome.seconds)
                output.unlink(missing_ok=True)
                result.succeeded.append(outcome)
                status = f"cluster {cluster} done in {outcome.seconds:.1f} s"
            else:
                result.failed.append(outcome)
                status = f"cluster {cluster} FAILED (exit {process.returncode}), output in {output}"
            bar.update(1)
            bar.write(status + (f": {outcome.last_line}" if outcome.last_line else ""),
                      file=_EchoFile(echo))

    try:
        while (waiting or running) and not stop:
            while waiting and len(running) < pool and not stop:
                cluster = waiting.popleft()
                running[cluster] = _start(command, cluster, output_dir, env, preexec)
            time.sleep(POLL_SECONDS)
            reap()
        if stop:
            result.interrupted = signal.Signals(stop[0]).name
            reap()  # a cluster that finished just now still counts
            _terminate(running)
    except BaseException:
        _terminate(running)
        raise
    finally:
        bar.close()
        _restore_signals(previous)
    return result


class _EchoFile:
    """Let ``tqdm.write`` print through a callable, one message per call."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo

    def write(self, text: str) -> None:
        if text.strip():
            self.echo(text.rstrip("\n"))

    def flush(self) -> None:
        pass


def _start(command: Sequence[str], cluster: Cluster, output_dir: Path, env, preexec):
    output = output_dir / f"cluster-{cluster.index}-of-{cluster.count}.txt"
    with open(output, "wb") as stream:
        process = subprocess.Popen(
            [*command, f"--cluster={cluster}"],
            stdin=subprocess.DEVNULL, stdout=stream, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops the children
            preexec_fn=preexec,
        )
    return process, time.monotonic(), output


def _terminate(running: dict) -> None:
    """SIGTERM every running cluster (its whole process group), SIGKILL the slow ones."""
    for process, _, _ in running.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process, _, _ in running.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    running.clear()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _catch_signals(handler) -> dict:
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: leave signals to whoever owns them
            pass
    return previous


def _restore_signals(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _last_line(path: Path, limit: int = 4096) -> str:
    """Return the last non-empty line of a cluster's output (e.g. its summary or error)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(max(0, os.path.getsize(path) - limit))
            tail = stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.replace("\r", "\n").splitlines() if line.strip()]
    return lines[-1] if lines else ""
