"""blog.clusters: slicing, the crash-safe log, and the process pool (no Django involved)."""
from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from blog.clusters import (
    Cluster, ClusterLog, LogBusy, format_line, parse_line, run_clusters, run_key,
)


class TestCluster:
    def test_parse(self):
        assert Cluster.parse("2/5") == Cluster(2, 5)
        assert str(Cluster.parse(" 1/1 ")) == "1/1"

    @pytest.mark.parametrize("text", ["0/3", "4/3", "3", "", "a/b", "1/0", "-1/3", "1/3/4"])
    def test_parse_refuses(self, text):
        with pytest.raises(ValueError, match="is not a cluster: write I/N with 1 <= I <= N"):
            Cluster.parse(text)

    @pytest.mark.parametrize("count", [1, 2, 3, 7])
    def test_every_key_in_exactly_one_cluster(self, count):
        clusters = [Cluster(index, count) for index in range(1, count + 1)]
        for key in [*range(0, 500), "writer", "日本", "post-3"]:
            assert sum(cluster.contains(key) for cluster in clusters) == 1

    def test_integer_keys_go_round_robin(self):
        assert [k for k in range(1, 13) if Cluster(2, 4).contains(k)] == [1, 5, 9]


class TestRunKey:
    def test_depends_on_command_count_and_target(self):
        base = run_key(["import_wordpress", "a.xml"], 4, "db1")
        assert base == run_key(["import_wordpress", "a.xml"], 4, "db1")
        assert base != run_key(["import_wordpress", "b.xml"], 4, "db1")
        assert base != run_key(["import_wordpress", "a.xml"], 5, "db1")
        assert base != run_key(["import_wordpress", "a.xml"], 4, "db2")

    def test_an_edited_file_is_a_new_run(self, tmp_path):
        export = tmp_path / "export.xml"
        export.write_text("one")
        before = run_key(["import_wordpress", str(export)], 2)
        export.write_text("two, longer")
        assert run_key(["import_wordpress", str(export)], 2) != before


class TestLogLines:
    def test_round_trip(self):
        entry = {"run": "k", "cluster": 2, "of": 3}
        line = format_line(entry)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert parse_line(line) == entry

    def test_cut_short_or_corrupt_lines_are_not_entries(self):
        line = format_line({"run": "k", "cluster": 2, "of": 3})
        assert parse_line(line[:-1]) is None  # no newline: the write was cut short
        assert parse_line(line[:20] + b"\n") is None
        assert parse_line(line.replace(b'"cluster":2', b'"cluster":3')) is None  # checksum
        assert parse_line(b"\n") is None
        assert parse_line(b"garbage\n") is None


class TestClusterLog:
    def test_records_and_reads_back(self, tmp_path):
        with ClusterLog(tmp_path / "run.log", "key") as log:
            log.record(Cluster(1, 3), 1.5)
            log.record(Cluster(3, 3), 2.0)
            assert log.finished(3) == {1, 3}
        with ClusterLog(tmp_path / "run.log", "key") as log:
            assert log.finished(3) == {1, 3}
            assert log.finished(4) == set()  # same command in another number of clusters
        with ClusterLog(tmp_path / "run.log", "other-key") as log:
            assert log.finished(3) == set()  # another command sharing the file

    def test_half_written_line_does_not_count(self, tmp_path):
        path = tmp_path / "run.log"
        with ClusterLog(path, "key") as log:
            log.record(Cluster(1, 3), 1.0)
        torn = format_line({"run": "key", "cluster": 2, "of": 3, "seconds": 1.0})
        with open(path, "ab") as stream:
            stream.write(torn[: len(torn) // 2])  # the runner died mid-write
        with ClusterLog(path, "key") as log:
            assert log.finished(3) == {1}
            log.record(Cluster(3, 3), 1.0)  # starts on a fresh line, not glued to the torn one
        with ClusterLog(path, "key") as log:
            assert log.finished(3) == {1, 3}
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"" and parse_line(lines[-2] + b"\n")["cluster"] == 3

    def test_lines_are_checksummed_json(self, tmp_path):
        path = tmp_path / "run.log"
        with ClusterLog(path, "key") as log:
            log.record(Cluster(2, 3), 1.25)
        checksum, payload = path.read_text().rstrip("\n").split(" ", 1)
        entry = json.loads(payload)
        assert len(checksum) == 16
        assert {k: entry[k] for k in ("run", "cluster", "of", "seconds")} == {
            "run": "key", "cluster": 2, "of": 3, "seconds": 1.25}
        assert entry["finished"].endswith("+00:00")

    def test_one_runner_per_log(self, tmp_path):
        with ClusterLog(tmp_path / "run.log", "key"):
            with pytest.raises(LogBusy, match="another run_clusters is using"):
                with ClusterLog(tmp_path / "run.log", "key"):
                    pass
        with ClusterLog(tmp_path / "run.log", "key"):  # released on exit
            pass


WORKER = textwrap.dedent("""
    import os, sys, time
    cluster = sys.argv[-1].split("=", 1)[1]
    index, count = map(int, cluster.split("/"))
    folder = os.environ["WORK"]
    open(os.path.join(folder, f"start-{index}"), "w").write(str(time.time()))
    print(f"working on {cluster}", flush=True)
    time.sleep(float(os.environ.get("SLEEP", "0")))
    if str(index) in os.environ.get("FAIL", "").split(","):
        print(f"cluster {cluster} broke: bad data", file=sys.stderr)
        sys.exit(3)
    with open(os.path.join(folder, "done"), "a") as out:
        out.write(f"{index} {time.time()}\\n")
    print(f"summary of {cluster}")
""")


@pytest.fixture
def worker(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    work = tmp_path / "work"
    work.mkdir()

    def start(count, pool, log_path=None, **env):
        messages: list[str] = []
        with ClusterLog(log_path or tmp_path / "run.log", "key") as log:
            result = run_clusters(
                [sys.executable, str(script)], count, pool, log, output_dir=tmp_path / "output",
                echo=messages.append, progress=False,
                env={**os.environ, "WORK": str(work), **env},
            )
        return result, messages

    start.work = work
    start.output = tmp_path / "output"
    return start


def done(work: Path) -> list[int]:
    path = work / "done"
    return sorted(int(line.split()[0]) for line in path.read_text().splitlines()) if path.exists() else []


class TestRunClusters:
    def test_runs_every_cluster_once(self, worker):
        result, messages = worker(5, 2)
        assert done(worker.work) == [1, 2, 3, 4, 5]
        assert sorted(o.cluster.index for o in result.succeeded) == [1, 2, 3, 4, 5]
        assert not result.failed and result.interrupted is None
        assert sorted(messages) == [
            f"cluster {i}/5 done in {o.seconds:.1f} s: summary of {i}/5"
            for i, o in sorted((o.cluster.index, o) for o in result.succeeded)
        ]
        assert list(worker.output.iterdir()) == []  # a success leaves no output behind

    def test_pool_bounds_concurrency(self, worker):
        worker(4, 2, SLEEP="1.0")
        starts = sorted(float((worker.work / f"start-{i}").read_text()) for i in range(1, 5))
        ends = sorted(float(line.split()[1]) for line in (worker.work / "done").read_text().splitlines())
        events = sorted([(t, 1) for t in starts] + [(t, -1) for t in ends])
        running = peak = 0
        for _, step in events:
            running += step
            peak = max(peak, running)
        assert peak == 2  # two really ran at once, and never three (no wall-clock bound)

    def test_rerun_skips_finished_clusters(self, worker):
        worker(3, 3)
        result, messages = worker(3, 3)
        assert result.skipped == [1, 2, 3] and result.succeeded == [] and messages == []
        assert done(worker.work) == [1, 2, 3]

    def test_failing_cluster_does_not_stop_the_others(self, worker):
        result, _ = worker(4, 2, FAIL="2")
        assert done(worker.work) == [1, 3, 4]
        [failed] = result.failed
        assert (str(failed.cluster), failed.returncode) == ("2/4", 3)
        assert failed.last_line == "cluster 2/4 broke: bad data"
        assert failed.output.read_text() == "working on 2/4\ncluster 2/4 broke: bad data\n"
        assert [p.name for p in worker.output.iterdir()] == ["cluster-2-of-4.txt"]
        retry, _ = worker(4, 2)  # fixed: only the failed cluster runs again
        assert [o.cluster.index for o in retry.succeeded] == [2] and retry.skipped == [1, 3, 4]
        assert done(worker.work) == [1, 2, 3, 4]

    def test_signal_stops_children_and_logs_nothing_for_them(self, worker, tmp_path):
        threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        result, _ = worker(3, 3, SLEEP="30")
        assert time.monotonic() - started < 10
        assert result.interrupted == "SIGTERM"
        assert result.succeeded == [] and done(worker.work) == []
        with ClusterLog(tmp_path / "run.log", "key") as log:
            assert log.finished(3) == set()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers restored

    def test_bad_arguments(self, worker):
        with pytest.raises(ValueError):
            worker(0, 1)
        with pytest.raises(ValueError):
            worker(2, 0)
