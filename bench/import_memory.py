"""Peak memory and wall time of the clustered WordPress import at several export sizes.

    .venv/bin/python bench/import_memory.py --posts 3000,12000,30000 --pools 2 [--clusters 6]

For each size, generate (once, kept in bench/work/import_memory/) an export like
``bench/import_wordpress.py``'s: every post with a photo attachment in an uploads folder,
about 3.3 comments per post (100,000 for 30,000 posts), revisions and pages. Then, for
each pool size, import it into a fresh migrated SQLite file with ``manage.py run_clusters
--clusters N --pool P -- import_wordpress EXPORT --uploads DIR --no-purge`` and print
one line: wall time, CPU, the largest worker's peak resident memory (``ru_maxrss``, which
each worker prints on its summary line), the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_wordpress as bench  # noqa: E402  (bench/import_wordpress.py: the runner's helpers)

from blog.wordpress.generate import write_export  # noqa: E402

WORK = ROOT / "bench" / "work" / "import_memory"
COMMENTS_PER_POST = 100_000 / 30_000


def export_for(posts: int) -> tuple[Path, Path]:
    export, uploads = WORK / f"posts-{posts}.xml", WORK / f"uploads-{posts}"
    if not export.exists():
        partial = export.with_suffix(".part")
        write_export(partial, posts, attachments_every=1, photos=uploads, comments=COMMENTS_PER_POST)
        partial.rename(export)
    return export, uploads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="3000,12000")
    parser.add_argument("--pools", default="2")
    parser.add_argument("--clusters", type=int, default=6)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bench.WORK = WORK  # import_run keeps its logs there
    template = WORK / "template.sqlite3"
    if not template.exists():
        bench.manage("migrate", "-v0", env=bench.env_for(template))
    for posts in (int(p) for p in args.posts.split(",")):
        export, uploads = export_for(posts)
        for pool in (int(p) for p in args.pools.split(",")):
            label = f"posts-{posts}-pool-{pool}"
            database = WORK / f"{label}.sqlite3"
            shutil.copy(template, database)
            before = os.getloadavg()
            started = time.strftime("%H:%M:%S", time.gmtime())
            run = bench.import_run(label, export, posts, args.clusters, pool, database,
                                   "--no-purge", "--uploads", str(uploads))
            after = os.getloadavg()
            peaks = sorted(int(w["peak"]) for w in run.workers)
            print(f"RESULT posts={posts} photos={run.photos} comments={run.comments} clusters={args.clusters} "
                  f"pool={pool} wall={run.wall:.1f} cpu={run.cpu:.1f} peak_max={peaks[-1]} peak_min={peaks[0]} "
                  f"read={run.total('read') / run.clusters:.1f} fetch={run.total('fetched') / run.clusters:.1f} "
                  f"waited={run.total('waited') / run.clusters:.1f} started={started}Z "
                  f"load_before={before[0]:.1f} load_after={after[0]:.1f} "
                  f"per_cluster={','.join(w['peak'] for w in sorted(run.workers, key=lambda w: w['cluster']))}",
                  flush=True)
            database.unlink()
            for suffix in ("-wal", "-shm"):
                Path(str(database) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
