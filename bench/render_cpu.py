"""CPU time of a fresh render (no page cache), for comparing two versions of the code on a
noisy machine.

    .venv/bin/python bench/render_cpu.py [--data bench/results/render-scaled] [--batches 12]
    /path/to/other/checkout/.venv/bin/python bench/render_cpu.py --data <the same copy>

Wall-clock medians (bench/render.py) moved by half from one run to the next on a shared
machine. This measures the process's own CPU time (time.process_time) over batches of 25
requests through Django's whole stack and reports the fastest batch's mean: another
process taking the CPU does not add to it, and the minimum drops what it still disturbs.
Run it with each checkout's Python against one data directory (bench/render.py makes one
with 10,040 stories) and alternate the two.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent / "results"
                                              / "render-scaled"))
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--after-purge", choices=["everything", "story"],
                        help="purge (untimed) before each request: everything (every fragment "
                             "and the site lookup worked out afresh), or the measured page's "
                             "own tag, as a comment or an edit does")
    parser.add_argument("--signed-in", action="store_true",
                        help="as a signed-in reader who has not joined the discussion")
    args = parser.parse_args()
    os.environ["BROADSHEET_DATA_DIR"] = str(Path(args.data).resolve())
    os.environ["BROADSHEET_PAGE_CACHE"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "broadsheet.settings.embedded"
    import django

    django.setup()
    from django.test import Client
    from render import pages  # bench/render.py: the article with most comments, home, section

    from broadsheet.pagecache.store import purge_all, purge_tags

    client = Client(HTTP_HOST="127.0.0.1")
    if args.signed_in:
        from django.contrib.auth import get_user_model

        reader, _ = get_user_model().objects.get_or_create(
            username="bench-reader@example.org", defaults={"email": "bench-reader@example.org"})
        client.force_login(reader)
    urls, story = pages()
    page_ids = {"article": story.pk, "home": story.get_parent().get_parent().pk,
                "section": story.get_parent().pk}
    result = {"code": str(Path(django.__file__).parents[4]), "data": args.data,
              "after_purge": args.after_purge, "signed_in": args.signed_in}
    for name, url in urls.items():
        for _ in range(10):
            assert client.get(url).status_code == 200
        best = float("inf")
        for _ in range(args.batches):
            spent = 0.0
            for _ in range(25):
                if args.after_purge == "everything":
                    purge_all()
                elif args.after_purge == "story":
                    purge_tags({f"page:{page_ids[name]}"})
                started = time.process_time()
                client.get(url)
                spent += time.process_time() - started
            best = min(best, spent / 25)
        result[name] = {"cpu_ms": round(best * 1000, 2)}  # queries: bench/render.py
    print(json.dumps(result))


if __name__ == "__main__":
    main()
