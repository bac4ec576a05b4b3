"""Sending purges to the caches in front, one kind each, chosen by the scheme of each address
in BROADSHEET_EDGE.

`varnish://host:port` sends to Varnish with xkey (the VCL `broadsheet edge vcl` prints):
`PURGE /` with the tags in `xkey-purge` (or `xkey-softpurge` with
BROADSHEET_EDGE_SOFT_PURGE: marked stale, served while refetched), and `BAN /` for
everything. `fastly://`, `cloudflare://` and `bunny://` purge by tag through the CDN's API
(cdn.py). `purge-url://host:port` is for a cache that knows no tags: `PURGE <path>` with the
page's `Host`, once for every address that showed a purged tag (urls.py).

Every backend has `purge(tags)`, `purge_everything()` and `check(tag)`, each returning what
the cache answered, and raises EdgeError for anything else, so the outbox tries again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from . import urls
from .cdn import Bunny, Cloudflare, Fastly
from .transport import EdgeError, send

__all__ = ["KINDS", "EdgeError", "backend_for"]

TIMEOUT_SECONDS = 2  # a cache on the same network answers in milliseconds
# Tags a request carries at most: a header line stays well under Varnish's 8 KB limit.
VARNISH_BATCH = 200


def _base(url: str, kind: str) -> str:
    """`http://host:port` of a cache named `kind://host:port` (an IPv6 host in brackets)."""
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise EdgeError(f"{url}: a {kind} address needs a host and a port")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"http://{host}:{parts.port}"


class Varnish:
    def __init__(self, url: str):
        self.url = url
        self.base = _base(url, "Varnish")

    def purge(self, tags: list[str]) -> str:
        header = "xkey-softpurge" if settings.BROADSHEET_EDGE_SOFT_PURGE else "xkey-purge"
        answer = "nothing to purge"
        for start in range(0, len(tags), VARNISH_BATCH):
            answer = self._send("PURGE", {header: " ".join(tags[start:start + VARNISH_BATCH])})
        return answer

    def purge_everything(self) -> str:
        return self._send("BAN", {})

    def check(self, tag: str) -> str:
        return self.purge([tag])

    def _send(self, method: str, headers: dict) -> str:
        answer = send(self.url, self.base, method, "/", headers=headers,
                      timeout=TIMEOUT_SECONDS)
        if answer.status != 200:
            raise EdgeError(f"{self.url}: {method} answered {answer.status} {answer.text()}")
        # The VCL says how many pages went in the status line ("Purged 3"); the body is HTML.
        return f"{answer.status} {answer.reason}".strip()


class PurgeURLs:
    """A cache without tags (Varnish or nginx with a plain PURGE): each page's address is
    purged by itself. Broadsheet knows which addresses showed a tag only from its own
    renders (urls.py), so a page the cache got some other way is left to expire."""

    # 404 is how nginx's cache purge says "not cached here": nothing to purge is success.
    ACCEPTED = (200, 204, 404)

    def __init__(self, url: str):
        self.url = url
        self.base = _base(url, "purge-url")

    def purge(self, tags: list[str]) -> str:
        return self._purge(urls.urls_for(tags))

    def purge_everything(self) -> str:
        return self._purge(urls.urls_for(None))

    def check(self, tag: str) -> str:
        return self._purge([f"{settings.BASE_URL}/_/edge-check/{tag}"])

    def _purge(self, addresses: list[str]) -> str:
        answers = []
        for address in addresses:
            parts = urlsplit(address)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            answer = send(self.url, self.base, "PURGE", path,
                          headers={"Host": parts.netloc}, timeout=TIMEOUT_SECONDS)
            if answer.status not in self.ACCEPTED:
                raise EdgeError(f"{self.url}: PURGE {address} answered {answer.status} "
                                f"{answer.text()}")
            answers.append(answer.status)
        return (f"{len(addresses)} addresses purged"
                + (f" ({', '.join(sorted({str(s) for s in answers}))})" if answers else ""))


KINDS = {"varnish": Varnish, "fastly": Fastly, "cloudflare": Cloudflare, "bunny": Bunny,
         "purge-url": PurgeURLs}


def backend_for(url: str):
    kind = urlsplit(url).scheme
    if kind not in KINDS:
        raise EdgeError(f"{url}: no purge backend for {kind!r} (known: {', '.join(KINDS)})")
    return KINDS[kind](url)
