"""What an oversized story body costs: a 50 MB body in a ninjs item and in a WordPress post.

    .venv/bin/python bench/ingest_limits.py                 # --mb 50, the default limits
    .venv/bin/python bench/ingest_limits.py --unlimited     # the body let through, as before

Each import runs as its own `broadsheet import --no-fetch` process on a fresh data directory
(SQLite, no demo). Its peak memory is the child's maximum RSS (getrusage), shown with the RSS
it had after Django started, before the import, so the import's own share is the difference.
With --unlimited, BROADSHEET_IMPORT_MAX_ITEM_BYTES is raised past the body: what the same
file cost before there was a limit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, prepared_data_dir, save  # noqa: E402

CHILD = """
import json, os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings.embedded")
import django
django.setup()
from django.core.management import CommandError, call_command
import broadsheet.ingest.run, broadsheet.ingest.wxr  # what the import loads, before measuring
started_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    with open(os.devnull, "w") as quiet:
        call_command("import", *sys.argv[1:], "--no-fetch", stdout=quiet, stderr=quiet)
    outcome = "imported"
except CommandError as refused:
    outcome = str(refused).splitlines()[-1].strip()
print(json.dumps({"outcome": outcome[-160:], "seconds": round(time.perf_counter() - started, 2),
                  "rss_before_mb": round(started_kb / 1024, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024, 1)}))
"""


def ninjs_item(path: Path, body: str) -> None:
    path.write_text(json.dumps({
        "uri": "urn:bench:huge", "type": "text", "headlines": [{"role": "main",
                                                              "value": "A huge story"}],
        "subjects": [{"name": "News", "rel": "section"}],
        "bodies": [{"role": "text", "contentType": "text/html", "value": body}]}))


def wxr_export(path: Path, body: str) -> None:
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Blog</title><link>https://blog.example.org</link>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<item><title>A huge post</title><wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type>
<wp:status>publish</wp:status><wp:post_date_gmt>2025-01-01 10:00:00</wp:post_date_gmt>
<content:encoded><![CDATA[{body}]]></content:encoded></item>
</channel></rss>""")


def measure(kind: str, megabytes: int, unlimited: bool) -> dict:
    work = RESULTS / "ingest-limits"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    paragraph = "<p>" + "The council met again and the river rose. " * 20 + "</p>\n"
    body = paragraph * (megabytes * 1024 * 1024 // len(paragraph))
    path = work / ("huge.json" if kind == "ninjs" else "huge.xml")
    (ninjs_item if kind == "ninjs" else wxr_export)(path, body)
    del body
    _, env = prepared_data_dir("ingest-limits/data", demo=False)
    if unlimited:
        env["BROADSHEET_IMPORT_MAX_ITEM_BYTES"] = str(2 * megabytes * 1024 * 1024)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"the import process failed:\n{proc.stderr[-3000:]}")
    return {"kind": kind, "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
            "limit": "raised past the body" if unlimited else "default (2 MB)",
            "wall_seconds": round(time.perf_counter() - started, 1),
            **json.loads(proc.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="size of the story body")
    parser.add_argument("--unlimited", action="store_true",
                        help="raise the item limit past the body (the cost without a limit)")
    parser.add_argument("--only", choices=["ninjs", "wxr"])
    options = parser.parse_args()
    runs = [measure(kind, options.mb, options.unlimited)
            for kind in ("ninjs", "wxr") if options.only in (None, kind)]
    save("ingest-limits" + ("-unlimited" if options.unlimited else ""), {"runs": runs})


if __name__ == "__main__":
    main()
