"""The reference for `broadsheet serve`'s hits in bench/edge.py: granian, run as `broadsheet
serve` runs it, with an application that does nothing but send one response (the cached
article's bytes and headers, as Broadsheet sends them). What granian itself does on this
machine, the most any application under it could reach.

    granian --interface rsgi --http 1 --workers 2 --app-dir bench granian_reference:application

with REFERENCE_RESPONSE naming a file: the response's header lines, a blank line, the body.
"""

from __future__ import annotations

import os


def _load(path: str) -> tuple[list[tuple[str, str]], bytes]:
    raw = open(path, "rb").read()  # noqa: SIM115, PTH123 - read once, at import
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = []
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return headers, body


HEADERS, BODY = _load(os.environ["REFERENCE_RESPONSE"])


class Reference:
    def __rsgi_init__(self, loop):
        pass

    def __rsgi_del__(self, loop):
        pass

    async def __rsgi__(self, scope, protocol):
        protocol.response_bytes(200, HEADERS, BODY)


application = Reference()
