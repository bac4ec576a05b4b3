"""Fresh render time (no page cache) of the article, home and section pages, with queries.

    .venv/bin/python bench/render.py [--requests 200] [--skip-scale]

Measures in-process through Django's full middleware stack (the server-side time of a page
cache miss), at demo size, then again after adding 10,000 stories and 1,000 comments on the
measured story. Reports medians, the ratio of the two sizes, and query counts.

The article is measured three ways: as anyone the page cache does not serve gets it, with the
story's fragments kept (pagecache/fragments.py); as the first reader after a purge of
everything (`article_after_purge`: every fragment rendered afresh); and signed in as a reader
who has not joined the discussion (`article_signed_in`), whose ratio to the first is reported.
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
    from django.contrib.auth import get_user_model
    from django.test import Client

    from broadsheet.pagecache.store import purge_all

    urls, story = pages()
    purge_all()  # no fragment from another run or another copy of the data
    result = {name: measure(client, url, n) for name, url in urls.items()}
    result["article_after_purge"] = measure(client, urls["article"], n, before=purge_all)
    reader, _ = get_user_model().objects.get_or_create(
        username="bench-reader@example.org", defaults={"email": "bench-reader@example.org"})
    signed_in = Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(reader)
    result["article_signed_in"] = measure(signed_in, urls["article"], n)
    result = {name: dict(zip(("median_ms", "queries"), found, strict=True))
              for name, found in result.items()}
    result["signed_in_to_anonymous"] = round(
        result["article_signed_in"]["median_ms"] / result["article"]["median_ms"], 2)
    return result, story


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
            k: round(scaled[k]["median_ms"] / demo[k]["median_ms"], 2) for k in demo
            if isinstance(demo[k], dict)}
    save("render", result)


if __name__ == "__main__":
    main()
