"""Database statements per fold and per view: what one host's second of views costs PostgreSQL.

    .venv/bin/python bench/fold_queries.py [--views 10000] [--stories 200]

Runs on the site bench/readership.py --profile production prepared (its PostgreSQL database
`helper_readership`): journals `--views` new views (distinct readers, spread over `--stories`
stories, within the last minute) with this process's journal, folds them once, and counts the
statements the fold sent and the rows it wrote.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, RESULTS, machine, save  # noqa: E402

CODE = """
import json, random, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from broadsheet.articles.models import ArticlePage
from broadsheet.readership import journal
from broadsheet.readership.counting import View
from broadsheet.readership.folding import fold
from broadsheet.readership.models import PageView
ids = list(ArticlePage.objects.live().values_list("id", flat=True)[:{stories}])
now = int(time.time() * 1000)
run = random.getrandbits(40)
# A running host's folder: what an earlier run left folded, and its memory of the last hour
# built (once per process), as every fold after a host's first finds it.
journal.record(View(now, ids[0], f"w{{run:x}}"))
fold()
for n in range({views}):
    journal.record(View(now - random.randrange(60_000), ids[n % len(ids)], f"q{{run:x}}{{n:x}}"))
before = PageView.objects.count()
with CaptureQueriesContext(connection) as ctx:
    t = time.perf_counter()
    counted = fold()
    seconds = time.perf_counter() - t
kinds = {{}}
for q in ctx.captured_queries:
    verb = q["sql"].split()[0].upper()
    verb = "executemany" if verb.isdigit() else verb  # Django logs "N times" first
    kinds[verb] = kinds.get(verb, 0) + 1
added = PageView.objects.count() - before
print(json.dumps({{"views": {views}, "counted": counted, "rows_added": added,
                  "statements": len(ctx.captured_queries), "by_kind": kinds,
                  "fold_seconds": round(seconds, 3)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument("--stories", type=int, default=200)
    args = parser.parse_args()
    data = RESULTS / "readership-production"
    if not data.exists():
        raise SystemExit("run bench/readership.py --profile production first (it prepares "
                         "the site)")
    import os

    env = {**os.environ, "BROADSHEET_DATA_DIR": str(data),
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/helper_readership",
           "REDIS_URL": "redis://127.0.0.1:6379/0", "BROADSHEET_CACHE_PREFIX": "helper_readership",
           "BROADSHEET_LOG_LEVEL": "WARNING"}
    out = subprocess.run([str(BIN), "shell", "-c", CODE.format(views=args.views,
                                                               stories=args.stories)],
                         env=env, check=True, capture_output=True, text=True).stdout
    result = {"command": "bench/fold_queries.py " + " ".join(sys.argv[1:]),
              "machine": machine(), **json.loads(out.strip().splitlines()[-1])}
    save("fold-queries", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
