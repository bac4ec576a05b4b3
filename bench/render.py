"""Fresh render time (no page cache) of the article, home and section pages, with queries.

    .venv/bin/python bench/render.py [--requests 200] [--skip-scale]

Measures in-process through Django's full middleware stack (the server-side time of a page
cache miss), at demo size, then again after adding 10,000 stories and 1,000 comments on the
measured story. Reports medians, the ratio of the two sizes, and query counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, prepared_data_dir, save  # noqa: E402


def pages():
    from django.db.models import Count

    from broadsheet.articles.models import ArticlePage
    from broadsheet.comments.models import Comment
    from broadsheet.frontpage.models import HomePage

    # The story with the most comments: the one the scale-up piles comments onto.
    story = (ArticlePage.objects.live().annotate(n=Count("reader_comments"))
             .order_by("-n", "-first_published_at").first())
    assert story is not None and Comment.objects.exists()
    return {"article": story.url, "home": HomePage.objects.get().url,
            "section": story.get_parent().url}, story


def run_all(client, n):
    urls, story = pages()
    return {name: dict(zip(("median_ms", "queries"), measure(client, url, n), strict=True))
            for name, url in urls.items()}, story


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()

    # Two data directories measured in one run: the demo as `make run` builds it, and a copy
    # grown to 10,000 stories (kept between runs: growing it takes minutes).
    demo_dir, env = prepared_data_dir("render-demo")
    scaled_dir = demo_dir.parent / "render-scaled"
    if not args.skip_scale and not (scaled_dir / "broadsheet.sqlite3").exists():
        import shutil

        shutil.rmtree(scaled_dir, ignore_errors=True)
        shutil.copytree(demo_dir, scaled_dir)
    os.environ.update(env)
    os.environ["BROADSHEET_PAGE_CACHE"] = "false"  # every request renders
    os.environ["DJANGO_SETTINGS_MODULE"] = "broadsheet.settings.embedded"
    import django

    django.setup()
    from django.db import connections
    from django.test import Client

    from broadsheet.articles.models import ArticlePage

    client = Client(HTTP_HOST="127.0.0.1")
    demo, story = run_all(client, args.requests)
    result = {"command": "bench/render.py", "requests": args.requests, "demo": demo,
              "demo_stories": ArticlePage.objects.live().count()}
    if not args.skip_scale:
        from django.conf import settings
        from django.core.cache import cache

        from broadsheet.demo.scale import scale_up

        # Switch the open connection over to the scaled copy; clear the shared cache.
        connections["default"].close()
        settings.DATABASES["default"]["NAME"] = scaled_dir / "broadsheet.sqlite3"
        connections["default"].settings_dict["NAME"] = scaled_dir / "broadsheet.sqlite3"
        cache.clear()
        have = ArticlePage.objects.count()
        if have < 10_000:
            started = time.perf_counter()
            scale_up(stories=10_000 - have + 40, comments=1000, story=story)
            result["scale_up_seconds"] = round(time.perf_counter() - started, 1)
        scaled, _ = run_all(client, args.requests)
        result["scaled"] = scaled
        result["scaled_stories"] = ArticlePage.objects.live().count()
        result["ratio_scaled_to_demo"] = {
            k: round(scaled[k]["median_ms"] / demo[k]["median_ms"], 2) for k in demo}
    save("render", result)


if __name__ == "__main__":
    main()
