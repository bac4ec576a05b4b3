"""Sending purges to the caches in front, one kind each.

`varnish://host:port` sends to Varnish with xkey (the VCL `broadsheet edge vcl` prints):
`PURGE /` with the tags in `xkey-purge` (or `xkey-softpurge` with
BROADSHEET_EDGE_SOFT_PURGE: marked stale, served while refetched), and `BAN /` for
everything. A cache that does not answer 200 raises EdgeError; the outbox tries again.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 2  # a cache on the same network answers in milliseconds
# Tags a request carries at most: a header line stays well under Varnish's 8 KB limit.
VARNISH_BATCH = 200


class EdgeError(Exception):
    pass


class Varnish:
    def __init__(self, url: str):
        parts = urlsplit(url)
        if not parts.hostname or not parts.port:
            raise EdgeError(f"{url}: a Varnish address needs a host and a port")
        self.url, self.host, self.port = url, parts.hostname, parts.port

    def purge(self, tags: list[str]) -> None:
        header = "xkey-softpurge" if settings.BROADSHEET_EDGE_SOFT_PURGE else "xkey-purge"
        for start in range(0, len(tags), VARNISH_BATCH):
            self._send("PURGE", {header: " ".join(tags[start:start + VARNISH_BATCH])})

    def purge_everything(self) -> None:
        self._send("BAN", {})

    def _send(self, method: str, headers: dict) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, "/", headers=headers)
            response = connection.getresponse()
            body = response.read(500)
        except OSError as exc:
            raise EdgeError(f"{self.url}: {exc}") from exc
        finally:
            connection.close()
        if response.status != 200:
            raise EdgeError(f"{self.url}: {method} answered {response.status} "
                            f"{body.decode(errors='replace').strip()[:200]}")


KINDS = {"varnish": Varnish}


def backend_for(url: str):
    kind = urlsplit(url).scheme
    if kind not in KINDS:
        raise EdgeError(f"{url}: no purge backend for {kind!r} (known: {', '.join(KINDS)})")
    return KINDS[kind](url)
