"""Ids and numbers from addresses: what the database can hold, or a clear 404 or 400.

An id of 25 digits in a URL or a query string is not a page that does not exist; Python
takes it happily and the database then refuses it (SQLite cannot bind it at all), which was a
500. The `id` path converter matches only ids a 64-bit column can hold, so a longer one is a
404 like any unknown address; `query_id` and `query_number` answer a bad query parameter with
400 and a message that names it.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,18}"  # every 18-digit number fits a signed 64-bit column

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def query_id(params, name: str) -> int | None:
    """The id in query parameter `name`, None if it is absent or empty; 400 if it is not one."""
    return query_number(params, name, minimum=1)


def query_number(params, name: str, *, minimum: int = 0, maximum: int = MAX_ID,
                 default: int | None = None) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise BadRequest(f"{name}: a whole number from {minimum} to {maximum} (got {raw[:40]!r})")
    return int(raw)
