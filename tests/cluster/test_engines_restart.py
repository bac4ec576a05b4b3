"""The shared engines going away and coming back: PostgreSQL restarted while readers read."""

from __future__ import annotations

import time

from tests.serving import get

PAGES = ["/", "/metro/", "/metro/harbour-wall/"]


def headers_of(response) -> dict:
    return {k.lower(): v for k, v in response[1].items()}


def test_the_site_answers_from_its_caches_while_postgresql_restarts(cluster):
    for host in cluster.hosts:
        for path in PAGES:
            get(host.url + path)
            assert get(host.url + path)[0] == 200
    cluster.pg.stop()
    try:
        for host in cluster.hosts:
            for path in PAGES:
                response = get(host.url + path)
                assert response[0] == 200, (host.name, path, response[0])
                assert headers_of(response).get("x-page-cache") == "hit"
        # A page no cache holds cannot be made now: an honest "try again", not a crash.
        missing = get(cluster.hosts[0].url + "/metro/?page=2")
        assert missing[0] == 503, missing[0]
        assert "retry-after" in headers_of(missing)
    finally:
        cluster.pg.start()
    deadline = time.monotonic() + 30
    while get(cluster.hosts[0].url + "/metro/?page=2")[0] == 503:
        assert time.monotonic() < deadline, "the site did not recover from the restart"
        time.sleep(0.2)
    # Every host writes again: a view acknowledged on each is folded.
    for host in cluster.hosts:
        assert get(host.url + "/search/?q=harbour")[0] == 200
