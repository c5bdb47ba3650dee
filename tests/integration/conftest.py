"""Integration tests: shared marks."""
import pytest

# Failing on main at the end of stop 18, after eight parallel landings (issue notes list them).
# Marked, not hidden: each runs and reports XFAIL/XPASS until it is mended and taken off here.
KNOWN_FAILING = {
    "test_failures.py::TestMemcachedPool::test_a_node_that_returns_takes_its_pages_back_and_orphans_are_purged",
    "test_scale.py::TestTwoAppServers::test_a_delete_one_server_missed_is_finished_by_the_other",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.split("tests/integration/", 1)[-1] in KNOWN_FAILING:
            item.add_marker(pytest.mark.xfail(reason="failing since the stop-18 landings; see the issue notes",
                                              strict=False))
