"""bench/report.py: RESULTS.md says why a missed target is missed, and only then."""
from bench.report import missed_explained, why_missed
from cachekeys.nginx import HOT_PAGES

MET = "- 300 posts, plain, ours: make run: throughput ≥ 1.3× Varnish **met** (21,512 vs 10,289 req/s); " \
      "CPU per hit ≤ Varnish's **met** (54.0 vs 155.6 µs); p99 no worse **met** (6.33 vs 9.59 ms)."
SLOW = "- 300 posts, browser, ours: make run: throughput ≥ 1.3× Varnish **not met** (22,669 vs 24,301 req/s); " \
       "CPU per hit ≤ Varnish's **met** (51.1 vs 54.7 µs); p99 no worse **not met** (5.91 vs 3.59 ms)."
LARGE = "- No collapse at 52,272 pages (browser, ours: make run): **not met** (req/s at 30,000 posts is 0.43)."


def test_nothing_is_explained_when_every_target_is_met():
    assert missed_explained([MET]) == []


def test_each_kind_of_miss_gets_its_reason_once():
    reasons = why_missed()
    assert missed_explained([MET, SLOW, SLOW]) == [f"- {reasons['throughput']}", f"- {reasons['p99']}"]
    assert missed_explained([LARGE]) == [f"- {reasons['large']}"]


def test_the_reasons_name_the_defaults_measured(settings):
    assert f"{HOT_PAGES} hottest pages" in why_missed()["large"]
    settings.CACHEKEYS = {"NGINX_FIRST_TIER_TTL": 2.0}  # a site's own setting is not what the bench ran
    assert "TTL (5 s)" in why_missed()["large"]
