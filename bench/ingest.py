"""Import speed and memory: a generated WordPress export and a directory of ninjs files.

    .venv/bin/python bench/ingest.py            # --posts 20000 --files 10000
    .venv/bin/python bench/ingest.py --only wxr --posts 2000

Each import runs as its own `broadsheet import` process on a fresh data directory (SQLite,
no demo), timed from start to exit; its peak memory is the child's maximum RSS (getrusage).
Queries are counted inside that process by a connection wrapper (cheap: a counter, no log).
Reference, measured in the same run: the time to merely parse the same input with the
standard library (iterparse over the WXR, json.load + schema validation of the ninjs files),
so the import's cost is shown as a multiple of reading the input at all.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, RESULTS, ROOT, prepared_data_dir, save  # noqa: E402

WORDS = ["river", "council", "bridge", "library", "market", "rowing", "museum", "choir",
         "weather", "school", "harbour", "theatre", "valley", "station", "volunteers", "evening",
         "summer", "winter", "report", "plans", "opens"]
CATEGORIES = ["Local", "Sport", "Business", "Culture", "Weather", "Opinion", "Transport",
              "Schools"]


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate_wxr(path: Path, posts: int, seed: int = 7) -> dict:
    """A WXR 1.2 export like a busy local site's: half block-editor posts, half classic,
    tags, eight categories, three authors, a comment on every fourth post, 2% drafts."""
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    counts = {"posts": posts, "drafts": 0, "comments": 0}
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                  'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                  'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
                  "<title>Bench Gazette</title><link>https://bench.example</link>\n"
                  "<wp:wxr_version>1.2</wp:wxr_version>"
                  "<wp:base_blog_url>https://bench.example</wp:base_blog_url>\n")
        for n, name in enumerate(("Ann Editor", "Bo Reporter", "Cy Writer")):
            out.write(f"<wp:author><wp:author_login>author{n}</wp:author_login>"
                      f"<wp:author_display_name><![CDATA[{name}]]></wp:author_display_name>"
                      "</wp:author>\n")
        for n, name in enumerate(CATEGORIES):
            out.write(f"<wp:category><wp:term_id>{n + 1}</wp:term_id><wp:category_nicename>"
                      f"{name.lower()}</wp:category_nicename><wp:category_parent/>"
                      f"<wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>\n")
        for n in range(posts):
            when = start + timedelta(minutes=37 * n)
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
            title = f"{sentence(rng, 6)[:-1]} {n}"
            paragraphs = [sentence(rng, rng.randint(20, 45)) for _ in range(rng.randint(4, 9))]
            if n % 2:
                content = "\n\n".join(f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->"
                                      for p in paragraphs)
                content += ("\n\n<!-- wp:heading -->\n<h2>More</h2>\n<!-- /wp:heading -->\n\n"
                            "<!-- wp:list -->\n<ul><li>One</li><li>Two</li></ul>\n"
                            "<!-- /wp:list -->")
            else:
                content = "\n\n".join(paragraphs)
            status = "draft" if n % 50 == 49 else "publish"
            counts["drafts"] += status == "draft"
            category = CATEGORIES[n % len(CATEGORIES)]
            tags = "".join(f'<category domain="post_tag" nicename="{t}"><![CDATA[{t}]]>'
                           "</category>" for t in rng.sample(WORDS, 2))
            comment = ""
            if n % 4 == 0:
                counts["comments"] += 1
                comment = (f"<wp:comment><wp:comment_id>{n + 1}</wp:comment_id>"
                           "<wp:comment_author><![CDATA[A reader]]></wp:comment_author>"
                           f"<wp:comment_date_gmt>{stamp}</wp:comment_date_gmt>"
                           f"<wp:comment_content><![CDATA[{sentence(rng)}]]>"
                           "</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                           "<wp:comment_parent>0</wp:comment_parent></wp:comment>")
            out.write(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://bench.example/{when:%Y/%m/%d}/post-{n}/</link>"
                f"<dc:creator>author{n % 3}</dc:creator>"
                f"<content:encoded><![CDATA[{content}]]></content:encoded>"
                f"<excerpt:encoded><![CDATA[]]></excerpt:encoded>"
                f"<wp:post_id>{n + 1}</wp:post_id><wp:post_date>{stamp}</wp:post_date>"
                f"<wp:post_date_gmt>{stamp}</wp:post_date_gmt>"
                f"<wp:post_modified_gmt>{stamp}</wp:post_modified_gmt>"
                f"<wp:comment_status>open</wp:comment_status>"
                f"<wp:post_name>post-{n}</wp:post_name><wp:status>{status}</wp:status>"
                f"<wp:post_parent>0</wp:post_parent><wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="{category.lower()}">'
                f"<![CDATA[{category}]]></category>{tags}{comment}</item>\n")
        out.write("</channel>\n</rss>\n")
    return counts


def generate_ninjs(directory: Path, files: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(files):
        when = (start + timedelta(minutes=11 * n)).isoformat().replace("+00:00", "Z")
        body = "".join(f"<p>{sentence(rng, rng.randint(20, 40))}</p>" for _ in range(6))
        item = {"standard": {"name": "ninjs", "version": "3.1"},
                "uri": f"urn:bench:wire:{n}", "type": "text", "language": "en",
                "firstCreated": when, "versionCreated": when, "by": "Bench Wire",
                "headlines": [{"role": "main", "value": f"{sentence(rng, 7)[:-1]} {n}"},
                              {"role": "sub", "value": sentence(rng, 12)}],
                "subjects": [{"name": CATEGORIES[n % len(CATEGORIES)], "rel": "section"},
                             {"name": rng.choice(WORDS).title()}],
                "places": [{"name": "Calder Valley"}],
                "bodies": [{"role": "main", "contentType": "text/html", "value": body}]}
        (directory / f"item-{n:05d}.json").write_text(json.dumps(item))


CHILD = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings.embedded")
import django
django.setup()
from django.core.management import call_command
from django.db import connection
count = [0]
def counter(execute, sql, params, many, context):
    count[0] += 1
    return execute(sql, params, many, context)
started = time.perf_counter()
with connection.execute_wrapper(counter):
    with open(os.devnull, "w") as quiet:
        call_command("import", *sys.argv[1:], "--no-fetch", stdout=quiet, stderr=quiet)
import resource
print(json.dumps({"queries": count[0], "inside_seconds": round(time.perf_counter() - started, 1),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def timed_import(env: dict, args: list[str]) -> dict:
    """Run an import in a child process: wall time, its own peak RSS, its query count."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"import failed:\n{err[-3000:]}")
    child = json.loads(out.strip().splitlines()[-1])
    # The child's own peak resident memory (getrusage RUSAGE_SELF, read as it finishes).
    peak = child.pop("maxrss_kb")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak / 1024, 1), **child}


def bench_wxr(posts: int) -> dict:
    work = RESULTS / "ingest-wxr"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    export = work / "export.xml"
    counts = generate_wxr(export, posts)
    started = time.perf_counter()
    items = 0
    for _, element in ET.iterparse(export):  # noqa: S314 (our own generated file)
        if element.tag == "item":
            items += 1
            element.clear()
    reference = time.perf_counter() - started
    data, env = prepared_data_dir("ingest-wxr/data", demo=False)
    result = timed_import(env, [str(export)])
    check = subprocess.run([str(BIN), "shell", "-c",
                            "from broadsheet.articles.models import ArticlePage as A;"
                            "from broadsheet.comments.models import Comment as C;"
                            "print(A.objects.count(), A.objects.live().count(),"
                            " C.objects.count())"],
                           env=env, capture_output=True, text=True, check=True)
    stories, live, comments = map(int, check.stdout.strip().splitlines()[-1].split())
    assert stories == posts and live == posts - counts["drafts"], (stories, live)
    assert comments == counts["comments"]
    return {"posts": posts, "file_mb": round(export.stat().st_size / 1e6, 1),
            "import": result, "posts_per_second": round(posts / result["seconds"]),
            "reference_iterparse_seconds": round(reference, 2),
            "ratio_to_iterparse": round(result["seconds"] / reference, 1),
            "queries_per_post": round(result["queries"] / posts, 2),
            "checked": {"stories": stories, "live": live, "comments": comments}}


def bench_ninjs(files: int) -> dict:
    work = RESULTS / "ingest-ninjs"
    shutil.rmtree(work, ignore_errors=True)
    items = work / "items"
    generate_ninjs(items, files)
    paths = sorted(str(p) for p in items.glob("*.json"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "broadsheet.settings.embedded"
    reference_proc = subprocess.run(
        [sys.executable, "-c",
         "import sys, time, json, django; django.setup();"
         "from broadsheet.ingest import ninjs; t = time.perf_counter();"
         "[ninjs.validate(json.load(open(p)), p) for p in sys.argv[1:]];"
         "print(time.perf_counter() - t)", *paths],
        env={**env, "BROADSHEET_DATA_DIR": str(work / "ref")}, capture_output=True, text=True,
        check=True, cwd=ROOT)
    reference = float(reference_proc.stdout.strip())
    data, env = prepared_data_dir("ingest-ninjs/data", demo=False)
    result = timed_import(env, paths)
    return {"files": files, "import": result,
            "stories_per_second": round(files / result["seconds"]),
            "reference_validate_seconds": round(reference, 2),
            "ratio_to_validation": round(result["seconds"] / reference, 1),
            "queries_per_story": round(result["queries"] / files, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--only", choices=["wxr", "ninjs"])
    options = parser.parse_args()
    result = {}
    if options.only in (None, "ninjs"):
        result["ninjs"] = bench_ninjs(options.files)
    if options.only in (None, "wxr"):
        result["wxr"] = bench_wxr(options.posts)
    save("ingest", result)


if __name__ == "__main__":
    main()
