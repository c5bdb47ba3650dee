import bisect
import itertools
import struct
import zlib
from collections import Counter

from cachekeys.ring import ConsistentRing, _host_and_port


class TestHostAndPort:
    def test_splits_like_nginx(self):
        assert _host_and_port("127.0.0.1:11211") == (b"127.0.0.1", b"11211")
        assert _host_and_port("cache.internal") == (b"cache.internal", b"")
        assert _host_and_port("unix:/run/memcached.sock") == (b"/run/memcached.sock", b"")
        assert _host_and_port("[::1]:11211") == (b"[::1]", b"11211")


class TestConsistentRing:
    SERVERS = ["127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"]

    def test_one_server_takes_every_key(self):
        ring = ConsistentRing(["127.0.0.1:11211"])
        assert {ring.node_for(f"k{i}") for i in range(100)} == {"127.0.0.1:11211"}

    def test_first_point_is_crc32_of_host_nul_port_and_zero(self):
        ring = ConsistentRing(["10.0.0.1:11211"])
        first = zlib.crc32(b"10.0.0.1\x0011211" + struct.pack("<I", 0))
        assert first in ring._hashes and len(ring._hashes) == 160

    def test_spreads_keys_over_all_servers(self):
        ring = ConsistentRing(self.SERVERS)
        counts = Counter(ring.node_for(f"{i:032x}") for i in range(3000))
        assert set(counts) == set(self.SERVERS)
        assert min(counts.values()) > 500

    def test_a_dead_server_hands_only_its_own_keys_on(self):
        ring = ConsistentRing(self.SERVERS)
        dead = self.SERVERS[0]
        for i in range(1000):
            key = f"{i:032x}"
            usual = ring.node_for(key)
            fallback = ring.node_for(key, lambda server: server != dead)
            if usual != dead:
                assert fallback == usual
            else:
                assert fallback in self.SERVERS[1:]

    def test_candidates_list_each_server_once(self):
        ring = ConsistentRing(self.SERVERS)
        candidates = list(ring.candidates("abc"))
        assert len(candidates) == len(set(candidates))

    def test_no_live_server_gives_none(self):
        assert ConsistentRing(self.SERVERS).node_for("k", lambda s: False) is None

    def test_a_walk_looks_at_21_points_like_nginx_then_gives_up(self):
        # ngx_http_upstream_get_chash_peer: one point, then up to 20 more ("tries > 20"
        # falls back to round robin, which nobody can predict: Django stores nowhere).
        servers = [f"10.0.0.{n}:11211" for n in range(1, 41)]
        ring = ConsistentRing(servers)
        owners = ring._servers
        start = next(i for i in range(len(owners) - 21) if owners[i + 20] not in owners[i:i + 20])
        keys = (f"key-{n}" for n in itertools.count())
        key = next(k for k in keys if bisect.bisect_left(ring._hashes, zlib.crc32(k.encode())) == start)
        dead = set(owners[start:start + 20])
        assert ring.node_for(key, lambda server: server not in dead) == owners[start + 20]
        dead.add(owners[start + 20])
        assert ring.node_for(key, lambda server: server not in dead) is None
