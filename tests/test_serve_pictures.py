"""`broadsheet serve` for real: a picture refused at import arrives while the site is served.

The scheduler's leader fetches it again when due, makes it the story's hero and purges the
cached page; nobody runs a command. The wire's picture server refuses the first fetch.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.picture_server import PictureServer, seed_article_with_picture
from tests.serving import BIN, free_port, get, prepared_site, start_server, stop_server


def test_a_refused_picture_arrives_while_the_site_is_served(tmp_path):
    wire = PictureServer(refuse=1)
    port = free_port()
    env = prepared_site(tmp_path / "data", port, BROADSHEET_IMPORT_FETCH_PRIVATE="true",
                        BROADSHEET_IMPORT_PICTURE_RETRY_DELAY="12")
    item = tmp_path / "article.json"
    item.write_text(json.dumps(seed_article_with_picture(wire)))
    # Due 12 s after the import: time enough to start the server and cache the page first.
    out = subprocess.run([BIN, "import", str(item)], env=env, check=True, capture_output=True,
                         text=True, timeout=120)
    url = out.stdout.split("imported ", 1)[1].split()[0]
    assert "tried again from" in out.stderr
    proc = start_server(env, port, probe="/")
    try:
        status, _, body = get(url)
        assert status == 200 and b'class="hero"' not in body
        # Every page is shared with the default `setup` drew from the site's name.
        assert b'<meta property="og:image" content="http://127.0.0.1:' in body
        assert b"/media/images/share-image" in body
        headers = {k.lower(): v for k, v in get(url)[1].items()}
        assert headers.get("x-page-cache") == "hit"  # cached without the picture
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _, body = get(url)
            if b'class="hero"' in body:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the picture did not arrive")
        assert b"Wire Photographer" in body and b"/media/images/blinken" in body
        # Fetched once at import, then by one leader's attempt, not by every worker: the
        # picture arrives once. Normally the wire sees two requests; now and then, on a loaded
        # machine, it sees a third that no attempt logged (not explained yet: see issue 13's
        # closing note), so the count is held to at most one more, never one per worker each
        # tick.
        time.sleep(3)
        log = (tmp_path / "data" / "serve.log").read_text(errors="replace")
        assert log.count("/wire/blinken.jpg arrived for page") == 1, log[-3000:]
        assert wire.requests["/wire/blinken.jpg"] in (2, 3), log[-3000:]
    finally:
        stop_server(proc)
        wire.close()
