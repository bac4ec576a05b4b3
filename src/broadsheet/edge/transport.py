"""One HTTP request to a cache or a CDN's API, and EdgeError for anything but an answer.

Plain http.client rather than a client library: each backend sends a handful of small
requests, and the outbox needs every failure (refused, timed out, a status it did not expect)
as an exception it can retry, never a logged-and-forgotten error. A secret the request carries
is blanked out of every message, since messages end up in logs and in PendingPurge.last_error.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


class EdgeError(Exception):
    pass


@dataclass
class Answer:
    status: int
    body: bytes
    reason: str = ""

    def text(self, limit: int = 200) -> str:
        return self.body.decode(errors="replace").strip()[:limit]

    def json(self) -> dict:
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def send(edge: str, base: str, method: str, path: str, *, headers: dict | None = None,
         body: bytes | None = None, timeout: float, secret: str = "") -> Answer:
    """`method path` at `base` (scheme://host[:port]); `edge` names the cache in messages."""
    parts = urlsplit(base)
    kind = (http.client.HTTPSConnection if parts.scheme == "https"
            else http.client.HTTPConnection)
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, parts.path.rstrip("/") + path, body=body,
                           headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.read(2000), response.reason)
    except (OSError, http.client.HTTPException) as exc:
        raise EdgeError(hide(f"{edge}: {method} {path}: {exc or type(exc).__name__}",
                             secret)) from None
    finally:
        connection.close()


def hide(message: str, secret: str) -> str:
    return message.replace(secret, "[token]") if secret else message
