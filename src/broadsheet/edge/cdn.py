"""Purges by tag through the HTTPS APIs of Fastly, Cloudflare and Bunny.

Each is named in BROADSHEET_EDGE by what its API purges (`fastly://SERVICE_ID`,
`cloudflare://ZONE_ID`, `bunny://PULL_ZONE_ID`); the API token comes from the environment
only (BROADSHEET_FASTLY_TOKEN, BROADSHEET_CLOUDFLARE_TOKEN, BROADSHEET_BUNNY_KEY), so it is
never written into a setting that is printed, logged or stored with a purge. The API's base
address is a setting (BROADSHEET_FASTLY_API, ...) so the tests can put a fake API on loopback.

Wagtail's frontend_cache has a Cloudflare backend, but it purges URLs, not tags, and logs a
failure instead of raising it; the outbox must see every failure to try again, so these
speak to the APIs themselves.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

from django.conf import settings

from .transport import Answer, EdgeError, hide, send

TIMEOUT_SECONDS = 10  # an API across the internet, sometimes slow; the outbox waits anyway


class _API:
    kind = ""
    token_setting = ""

    def __init__(self, url: str):
        parts = urlsplit(url)
        # The netloc, not the hostname: a Fastly service id is case-sensitive.
        self.url, self.name = url, parts.netloc
        if not self.name or "@" in self.name or ":" in self.name or parts.path.strip("/"):
            raise EdgeError(f"{url}: expected {self.kind}://<id>, the token in "
                            f"{self.token_setting}, not in the address")
        self.token = getattr(settings, self.token_setting, "")
        if not self.token:
            raise EdgeError(f"{url}: {self.token_setting} is not set")
        self.base = getattr(settings, f"BROADSHEET_{self.kind.upper()}_API")

    def check(self, tag: str) -> str:
        return self.purge([tag])

    def _post(self, path: str, headers: dict, body: dict | None = None) -> Answer:
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        return send(self.url, self.base, "POST", path, headers=headers,
                    body=None if body is None else json.dumps(body).encode(),
                    timeout=TIMEOUT_SECONDS, secret=self.token)

    def _refused(self, what: str, answer: Answer, detail: str = "") -> EdgeError:
        hint = " (is the token right, and allowed to purge?)" if answer.status in (
            401, 403) else ""
        return EdgeError(hide(f"{self.url}: {what} answered {answer.status} "
                              f"{detail or answer.text()}{hint}", self.token))


class Fastly(_API):
    """`POST /service/<id>/purge` with the keys in `Surrogate-Key`, at most 256 a request
    (Fastly's limit); `Fastly-Soft-Purge: 1` marks them stale instead. Purge-all has no
    soft form at Fastly."""

    kind, token_setting, BATCH = "fastly", "BROADSHEET_FASTLY_TOKEN", 256

    def purge(self, tags: list[str]) -> str:
        headers = {"Fastly-Key": self.token, "Accept": "application/json"}
        if settings.BROADSHEET_EDGE_SOFT_PURGE:
            headers["Fastly-Soft-Purge"] = "1"
        for start in range(0, len(tags), self.BATCH):
            batch = tags[start:start + self.BATCH]
            answer = self._post(f"/service/{quote(self.name)}/purge",
                                {**headers, "Surrogate-Key": " ".join(batch)})
            if answer.status != 200:
                raise self._refused("purge", answer)
        return f"{len(tags)} keys purged"

    def purge_everything(self) -> str:
        answer = self._post(f"/service/{quote(self.name)}/purge_all",
                            {"Fastly-Key": self.token, "Accept": "application/json"})
        if answer.status != 200 or answer.json().get("status") != "ok":
            raise self._refused("purge_all", answer)
        return "everything purged"


class Cloudflare(_API):
    """`POST /client/v4/zones/<zone>/purge_cache` with `{"tags": [...]}`, at most 100 a
    request (Cloudflare's documented limit for every plan; older documents said 30), or
    `{"purge_everything": true}`. Cloudflare can answer 200 with `"success": false`, so the
    answer's JSON decides. It has no soft purge."""

    kind, token_setting, BATCH = "cloudflare", "BROADSHEET_CLOUDFLARE_TOKEN", 100

    def purge(self, tags: list[str]) -> str:
        for start in range(0, len(tags), self.BATCH):
            self._purge_cache({"tags": tags[start:start + self.BATCH]})
        return f"{len(tags)} tags purged"

    def purge_everything(self) -> str:
        self._purge_cache({"purge_everything": True})
        return "everything purged"

    def _purge_cache(self, body: dict) -> None:
        answer = self._post(f"/client/v4/zones/{quote(self.name)}/purge_cache",
                            {"Authorization": f"Bearer {self.token}"}, body)
        data = answer.json()
        if answer.status != 200 or data.get("success") is not True:
            errors = "; ".join(f"{e.get('code')} {e.get('message')}"
                               for e in data.get("errors") or [] if isinstance(e, dict))
            raise self._refused("purge_cache", answer, errors)


class Bunny(_API):
    """`POST /pullzone/<id>/purgeCache` with `{"CacheTag": tag}`: Bunny's API takes one tag
    a request, so a batch is as many requests; without a tag it purges the whole pull zone."""

    kind, token_setting = "bunny", "BROADSHEET_BUNNY_KEY"

    def purge(self, tags: list[str]) -> str:
        for tag in tags:
            self._purge_cache({"CacheTag": tag})
        return f"{len(tags)} tags purged"

    def purge_everything(self) -> str:
        self._purge_cache(None)
        return "everything purged"

    def _purge_cache(self, body: dict | None) -> None:
        answer = self._post(f"/pullzone/{quote(self.name)}/purgeCache",
                            {"AccessKey": self.token}, body)
        if answer.status not in (200, 204):
            raise self._refused("purgeCache", answer)
