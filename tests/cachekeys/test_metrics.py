"""Django's metrics (cachekeys.metrics): labels, live gauges, the endpoint's access rule."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cachekeys.metrics import exposition, reason_label
from cachekeys.models import PendingDelete
from cachekeys.testing import free_port


def samples(text: bytes) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text.decode()) for sample in family.samples}


@pytest.mark.parametrize(("reason", "label"), [
    ("status", "status"), ("header not carried: X-Foo", "header not carried"),
    ("content type (text/plain)", "content type"), ("", "unknown"),
])
def test_refusal_reasons_become_bounded_labels(reason, label):
    assert reason_label(reason) == label


@pytest.mark.django_db
def test_live_gauges_read_pending_deletes_and_each_node(memcached):
    dead = f"127.0.0.1:{free_port()}"
    PendingDelete.objects.bulk_create([PendingDelete(server=dead, key=f"k{i}", created_at=timezone.now())
                                       for i in range(3)])
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [memcached.address, dead]}):
        found = samples(exposition())
    assert found[("cachekeys_pending_deletes", (("server", dead),))] == 3
    assert found[("cachekeys_pending_deletes", (("server", memcached.address),))] == 0
    assert found[("cachekeys_memcached_up", (("server", memcached.address),))] == 1
    assert found[("cachekeys_memcached_up", (("server", dead),))] == 0
    assert found[("cachekeys_memcached_memory_limit_bytes", (("server", memcached.address),))] == 64 * 1024 * 1024


@pytest.mark.django_db
def test_the_endpoint_answers_loopback_and_allowed_addresses_only(client):
    assert client.get("/_cachekeys/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/_cachekeys/metrics", REMOTE_ADDR="198.51.100.7").status_code == 403
    # Through a local Nginx the reader's own address counts, not Nginx's.
    assert client.get("/_cachekeys/metrics", REMOTE_ADDR="127.0.0.1",
                      HTTP_X_REAL_IP="198.51.100.7").status_code == 403
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "METRICS_ALLOW": ["198.51.100.0/24"]}):
        answer = client.get("/_cachekeys/metrics", REMOTE_ADDR="198.51.100.7")
    assert answer.status_code == 200 and b"cachekeys_pending_deletes" in answer.content


def test_nginx_metrics_default_to_the_warm_url():
    from cachekeys.metrics import nginx_metrics_urls

    # No list of fronts exists any more (purges reach them through memcached): one default.
    assert nginx_metrics_urls("http://127.0.0.1:8000/") == ["http://127.0.0.1:8000/_cachekeys/metrics"]


@pytest.mark.django_db
def test_cache_stats_prints_django_s_numbers_and_names_an_unreachable_nginx(memcached):
    import io

    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    gone = f"http://127.0.0.1:{free_port()}/_cachekeys/metrics"
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": [memcached.address]}):
        call_command("cache_stats", f"--nginx={gone}", stdout=out, stderr=err)
    table = out.getvalue().splitlines()
    assert table[0].split() == ["source", "metric", "labels", "value"]
    assert any(line.split()[:3] == ["django", "cachekeys_memcached_up", f"server={memcached.address}"]
               and line.split()[-1] == "1" for line in table)
    assert f"Nginx unreachable, {gone}" in err.getvalue()
