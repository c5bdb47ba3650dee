"""``manage.py run_clusters -- import_wordpress``: real processes on a real SQLite file.

Each test gets its own migrated SQLite database (a copy of one migrated per module) and
drives manage.py exactly as an operator would; results are read with plain sqlite3.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from blog.clusters import format_line, parse_line
from blog.wordpress.generate import write_export

MANAGE = Path(settings.BASE_DIR) / "manage.py"
FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"


def environment(database: Path) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"sqlite:///{database}"}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("template") / "db.sqlite3"
    subprocess.run([sys.executable, str(MANAGE), "migrate", "-v0"], env=environment(database),
                   check=True, timeout=120)
    return database


class Site:
    """A migrated database and the manage.py that writes to it."""

    def __init__(self, folder: Path, template: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.database = folder / "db.sqlite3"
        shutil.copy(template, self.database)
        self.env = environment(self.database)
        self.log = folder / "run.log"

    def manage(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(MANAGE), *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def run_clusters(self, export: Path, count: int, pool: int, *extra: str) -> subprocess.CompletedProcess:
        return self.manage(*self.cluster_args(export, count, pool, *extra))

    def cluster_args(self, export: Path, count: int, pool: int, *extra: str) -> list[str]:
        """``extra`` goes to import_wordpress, after the export."""
        return ["run_clusters", "--clusters", str(count), "--pool", str(pool), "--log", str(self.log),
                "--no-progress", "--", "import_wordpress", str(export), *extra]

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()

    def wordpress_ids(self) -> list[int]:
        return [row[0] for row in self.query("SELECT wordpress_id FROM blog_post ORDER BY wordpress_id")]

    def snapshot(self) -> list[tuple]:
        return self.query("""
            SELECT p.wordpress_id, p.slug, p.title, p.status, p.published_at, p.body_html,
                   u.username, c.slug,
                   (SELECT group_concat(slug) FROM (SELECT t.slug FROM blog_post_tags pt
                      JOIN blog_tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id ORDER BY t.slug))
            FROM blog_post p JOIN auth_user u ON u.id = p.author_id
            LEFT JOIN blog_category c ON c.id = p.category_id
            ORDER BY p.wordpress_id""")

    def finished(self) -> list[int]:
        if not self.log.exists():
            return []
        entries = (parse_line(line) for line in self.log.read_bytes().splitlines(keepends=True))
        return sorted(entry["cluster"] for entry in entries if entry)


@pytest.fixture
def site(tmp_path, migrated) -> Site:
    return Site(tmp_path, migrated)


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "export.xml"
    write_export(path, 600)
    return path


def ran(stdout: str) -> list[str]:
    """The clusters a runner actually started, from its "cluster I/N done" lines."""
    return sorted(line.split()[1] for line in stdout.splitlines() if line.startswith("cluster "))


def importers_of(export: Path) -> list[int]:
    """Pids of import processes still working on ``export``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"import_wordpress" in argv and str(export).encode() in argv:
            pids.append(int(entry.name))
    return pids


def wait_until(condition, timeout: float = 60, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


class TestParallelImport:
    def test_every_post_imported_exactly_once(self, site, export):
        result = site.run_clusters(export, 4, 3)
        assert result.returncode == 0, result.stderr
        assert site.wordpress_ids() == list(range(1, 601))  # unique column: no duplicates possible,
        assert site.query("SELECT count(*) FROM blog_post") == [(600,)]  # and none missing
        assert ran(result.stdout) == ["1/4", "2/4", "3/4", "4/4"]
        assert sum(int(line.split(" posts (")[1].split()[0]) for line in result.stdout.splitlines()
                   if " posts (" in line) == 600  # each cluster created its own share
        assert site.finished() == [1, 2, 3, 4]
        assert result.stdout.splitlines()[-1] == f"all 4 clusters finished; log: {site.log}"
        assert site.query("SELECT count(*) FROM auth_user") == [(5,)]  # upserted by all, made once
        assert site.query("SELECT count(*) FROM blog_category WHERE parent_id IS NOT NULL") == [(3,)]

    def test_same_command_again_runs_nothing(self, site, export):
        assert site.run_clusters(export, 3, 2).returncode == 0
        before = site.query("SELECT id, updated_at FROM blog_post ORDER BY id")
        again = site.run_clusters(export, 3, 2)
        assert again.returncode == 0, again.stderr
        assert ran(again.stdout) == []
        assert "all 3 clusters finished (3 already done by an earlier run)" in again.stdout
        assert site.query("SELECT id, updated_at FROM blog_post ORDER BY id") == before

    def test_reimport_in_other_clusters_is_idempotent(self, site, export):
        assert site.run_clusters(export, 3, 3).returncode == 0
        before = site.snapshot()
        again = site.run_clusters(export, 2, 2)  # a new run: 2 clusters instead of 3
        assert again.returncode == 0, again.stderr
        assert ran(again.stdout) == ["1/2", "2/2"]
        assert "(0 created, 0 updated, 300 unchanged)" in again.stdout
        assert site.snapshot() == before

    def test_failing_cluster_is_named_and_the_others_finish(self, site, export):
        # Make the database refuse post 5 (cluster 3/3, as 5 % 3 == 2), as a bad row would.
        site.query("CREATE TRIGGER refuse BEFORE INSERT ON blog_post WHEN NEW.wordpress_id = 5 "
                   "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END")
        result = site.run_clusters(export, 3, 2)
        assert result.returncode == 1
        error = result.stderr.strip().splitlines()[-1]
        output_dir = Path(f"{site.log}.output")
        assert error == (f"CommandError: run_clusters: 1 of 3 clusters failed: 3/3; their output is "
                         f"kept in {output_dir}; run the same command again to retry them")
        kept = (output_dir / "cluster-3-of-3.txt").read_text()
        assert "refused by the test trigger; nothing was imported" in kept
        assert "Traceback" not in kept
        assert [p.name for p in output_dir.iterdir()] == ["cluster-3-of-3.txt"]
        ids = site.wordpress_ids()
        assert ids == [i for i in range(1, 601) if i % 3 != 2]  # clusters 1 and 2, all of them
        assert site.finished() == [1, 2]

        site.query("DROP TRIGGER refuse")
        retry = site.run_clusters(export, 3, 2)
        assert retry.returncode == 0, retry.stderr
        assert ran(retry.stdout) == ["3/3"]
        assert site.wordpress_ids() == list(range(1, 601))
        assert not output_dir.exists()


class TestResume:
    def test_killed_run_resumes_to_the_same_result(self, tmp_path, migrated):
        export = tmp_path / "big.xml"
        write_export(export, 4000, paragraphs=6)
        reference = Site(tmp_path / "reference", migrated)
        # The cache purge is not under test here and costs seconds per thousand posts.
        assert reference.run_clusters(export, 4, 2, "--no-purge").returncode == 0

        site = Site(tmp_path / "killed", migrated)
        runner = subprocess.Popen([sys.executable, str(MANAGE), *site.cluster_args(export, 4, 1, "--no-purge")],
                                  env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: len(site.finished()) >= 1)
        runner.send_signal(signal.SIGKILL)  # no handler, no cleanup: the worst case
        runner.wait()
        wait_until(lambda: not importers_of(export), timeout=30)  # its cluster died with it
        finished = site.finished()
        assert 1 <= len(finished) < 4
        # The cluster that was running when the runner died committed nothing.
        assert sorted(site.wordpress_ids()) == sorted(
            i for i in range(1, 4001) if (i % 4) + 1 in finished)
        # A torn line for a cluster that did not finish must not count as done.
        unfinished = min(set(range(1, 5)) - set(finished))
        torn = format_line({"run": "x", "cluster": unfinished, "of": 4})
        with open(site.log, "ab") as log:
            log.write(torn[:-10])

        resumed = site.run_clusters(export, 4, 2, "--no-purge")
        assert resumed.returncode == 0, resumed.stderr
        assert ran(resumed.stdout) == [f"{i}/4" for i in range(1, 5) if i not in finished]
        assert f"({len(finished)} already done by an earlier run)" in resumed.stdout
        assert "(1000 created, 0 updated, 0 unchanged)" in resumed.stdout
        assert site.finished() == [1, 2, 3, 4]
        assert site.snapshot() == reference.snapshot()

    def test_sigterm_stops_the_run_cleanly(self, site, tmp_path):
        export = tmp_path / "big.xml"
        write_export(export, 3000, paragraphs=6)
        runner = subprocess.Popen([sys.executable, str(MANAGE), *site.cluster_args(export, 3, 1, "--no-purge")],
                                  env=site.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda: len(site.finished()) >= 1)
        runner.send_signal(signal.SIGTERM)
        stdout, stderr = runner.communicate(timeout=30)
        assert runner.returncode == 1
        finished = site.finished()
        assert stderr.strip().splitlines()[-1] == (
            f"CommandError: run_clusters: stopped by SIGTERM: {len(finished)} of 3 clusters finished "
            f"and logged in {site.log}; run the same command again to resume")
        assert not importers_of(export)
        assert len(site.wordpress_ids()) == 1000 * len(finished)


class TestBadFileThroughTheRunner:
    def test_every_cluster_refuses_and_nothing_is_imported(self, site):
        result = site.run_clusters(FIXTURES / "bad" / "truncated.xml", 2, 2)
        assert result.returncode == 1
        assert "2 of 2 clusters failed: 1/2, 2/2" in result.stderr
        assert site.query("SELECT count(*) FROM blog_post") == [(0,)]
        assert site.query("SELECT count(*) FROM auth_user") == [(0,)]

    @pytest.mark.parametrize("name", ["truncated.xml", "not-xml.xml", "rss-not-wxr.xml",
                                      "billion-laughs.xml", "external-entity.xml"])
    def test_import_prints_one_line_and_no_traceback(self, site, name):
        result = site.manage("import_wordpress", str(FIXTURES / "bad" / name))
        assert result.returncode == 1
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith(f"CommandError: import_wordpress: {FIXTURES / 'bad' / name}: line ")
        assert site.query("SELECT count(*) FROM blog_post") == [(0,)]


class TestArguments:
    @pytest.mark.parametrize(("args", "message"), [
        (["--clusters", "0", "--pool", "1", "--", "import_wordpress", "x.xml"],
         "run_clusters: --clusters must be at least 1, got 0"),
        (["--clusters", "3", "--pool", "0", "--", "import_wordpress", "x.xml"],
         "run_clusters: --pool must be at least 1, got 0"),
        (["--clusters", "3", "--pool", "1", "--", "no_such_command"],
         "run_clusters: unknown command 'no_such_command'"),
        (["--clusters", "3", "--pool", "1", "--", "check"],
         "run_clusters: 'check' does not accept --cluster=I/N"),
        (["--clusters", "3", "--pool", "1", "--", "import_wordpress", "x.xml", "--cluster=1/2"],
         "run_clusters: leave --cluster out of the command, run_clusters adds it"),
    ])
    def test_refused(self, args, message):
        with pytest.raises(CommandError) as caught:
            call_command("run_clusters", *args)
        assert str(caught.value) == message
