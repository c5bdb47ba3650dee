"""The benchmark's request sequences and the LRU model its memcached reads are held to."""
from collections import Counter

from bench.workload import lru_misses, zipf_ranks, zipf_sequence


def test_zipf_sequence_follows_one_over_rank():
    ranked = [f"/{n}/" for n in range(100)]
    counts = Counter(zipf_sequence(ranked, 50_000))
    # s = 1: rank 1 is drawn about twice as often as rank 2 and ten times as often as rank 10.
    assert 1.8 < counts["/0/"] / counts["/1/"] < 2.2
    assert 8 < counts["/0/"] / counts["/9/"] < 12
    assert set(counts) <= set(ranked)


def test_the_same_seed_draws_the_same_sequence():
    ranked = [f"/{n}/" for n in range(50)]
    assert zipf_sequence(ranked, 1000) == zipf_sequence(ranked, 1000)
    assert zipf_sequence(ranked, 1000) != zipf_sequence(ranked, 1000, seed=2)


def test_ranks_put_front_pages_then_recent_posts_before_deep_pages():
    posts = [f"/posts/{n}/" for n in range(300)]  # newest first, as site_pages lists them
    pages = ["/", "/?page=2", "/?page=3", "/tag/a/", "/tag/a/?page=2", "/feed/", *posts]
    ranked = zipf_ranks(pages)
    assert ranked[0] == "/" and sorted(ranked) == sorted(pages)
    assert set(ranked[1:3]) == {"/tag/a/", "/feed/"} and ranked[3] == posts[0]
    assert ranked.index(posts[0]) < ranked.index("/?page=2") < ranked.index(posts[120]) < ranked.index("/?page=3") < ranked.index(posts[200])
    assert ranked.index(posts[10]) < ranked.index(posts[11])


def test_lru_misses_nothing_when_everything_fits_and_everything_when_nothing_does():
    sequence = ["/a/", "/b/", "/c/"] * 10
    sizes = {"/a/": 10, "/b/": 10, "/c/": 10}
    assert lru_misses(sequence, sizes, budget_bytes=30) == 0
    assert lru_misses(sequence, sizes, budget_bytes=20) == 1  # a cyclic scan defeats an LRU


def test_lru_keeps_the_hot_page_among_a_cold_tail():
    sequence = [page for n in range(100) for page in ("/hot/", f"/cold/{n}/")]
    sizes = {page: 10 for page in sequence}
    assert lru_misses(sequence, sizes, budget_bytes=20, rounds=2) == 0.5


def test_lru_entries_expire_after_their_ttl():
    sequence = ["/a/", "/b/"] * 50  # at 10 requests a second, each page every 0.2 s
    sizes = {"/a/": 1, "/b/": 1}
    assert lru_misses(sequence, sizes, budget_bytes=10, ttl=1.0, rate=10) == 0.2  # refilled once a second
    assert lru_misses(sequence, sizes, budget_bytes=10, ttl=None, rate=10) == 0


def test_each_worker_keeps_its_own_lru():
    sequence = ["/a/", "/b/"] * 20
    sizes = {"/a/": 10, "/b/": 10}
    assert lru_misses(sequence, sizes, budget_bytes=10, workers=1) == 1
    assert lru_misses(sequence, sizes, budget_bytes=10, workers=2) == 0  # worker 0 sees only /a/
