"""What the benchmark reads from the Makefile: the environment `make run` gives its processes."""
from pathlib import Path

from bench.servers import make_run_env


def test_make_run_env_is_read_from_the_makefile():
    env = make_run_env("127.0.0.1:18000", "127.0.0.1:18001", 18002, Path("/tmp/bench-env-test"))
    assert env["MEMCACHED_SERVERS"] == "127.0.0.1:18002"
    assert "SECRET_KEY" not in env  # the bench sets its own; make run's is read from a file
    assert all("$" not in value for value in env.values())
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    for name in env:
        assert name in makefile or name == "MEMCACHED_SERVERS"
