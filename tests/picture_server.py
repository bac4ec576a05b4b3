"""A wire's picture server for tests: real HTTP on a loopback port, refusing at first.

Serves pictures it draws with Pillow. The first `refuse` requests for each file are refused
(`how="503"`: 503 Service Unavailable; `how="hang up"`: the connection is closed without an
answer); later ones get the file. Every request is counted, so a test can tell whether a
picture was asked for at all.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image as PILImage

from tests.testdata import SEED

SIZES = {"/wire/blinken.jpg": (1600, 900), "/wire/blinken-640.jpg": (640, 360),
         "/wire/blinken-square.jpg": (400, 400)}


def jpeg(size: tuple[int, int], colour="teal") -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def library_picture(title: str, size=(1600, 900), colour="navy"):
    """A picture in the newsroom's own image library."""
    from django.core.files.images import ImageFile
    from django.utils.text import slugify
    from wagtail.images import get_image_model

    return get_image_model().objects.create(
        title=title, file=ImageFile(io.BytesIO(jpeg(size, colour)),
                                    name=f"{slugify(title) or 'picture'}.jpg"))


class PictureServer:
    def __init__(self, *, refuse: int = 1, how: str = "503"):
        self.refuse, self.how = refuse, how
        self.requests: Counter = Counter()
        self.files = {path: jpeg(size) for path, size in SIZES.items()}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests[self.path] += 1
                if owner.requests[self.path] <= owner.refuse:
                    if owner.how == "hang up":
                        self.close_connection = True
                        return
                    self.send_error(503, "Picture not ready")
                    return
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str = "/wire/blinken.jpg") -> str:
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def wire_server(settings):
    """Refuses each file once, then serves it. Loopback addresses are allowed to be fetched
    for these tests (by default they are not)."""
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST, "FETCH_PRIVATE_ADDRESSES": True}
    servers = []

    def make(**options) -> PictureServer:
        servers.append(PictureServer(**options))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def seed_article_with_picture(server: PictureServer, *, renditions=None) -> dict:
    """The seed's article as its wire would send it with a picture: the picture's renditions
    on `server`."""
    item = json.loads((SEED / "article.ninjs.json").read_text())
    item["associations"] = [{
        "name": "mainpic", "uri": "urn:test:picture:blinken", "type": "picture",
        "headlines": [{"role": "main", "value": "Blinken and al-Sudani in Baghdad"}],
        "descriptions": [{"role": "caption",
                          "value": "The Secretary of State meets the Prime Minister."}],
        "by": "Wire Photographer",
        "renditions": renditions if renditions is not None else [
            {"name": "original", "href": server.url("/wire/blinken.jpg"),
             "contentType": "image/jpeg", "width": 1600, "height": 900},
            {"name": "preview", "href": server.url("/wire/blinken-640.jpg"),
             "contentType": "image/jpeg", "width": 640, "height": 360},
            {"name": "thumbnail", "href": server.url("/wire/blinken-square.jpg"),
             "contentType": "image/jpeg", "width": 400, "height": 400}],
    }]
    return item
