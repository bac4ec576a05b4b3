"""The newsroom's side of bench/edge.py, run inside `broadsheet shell` (Django set up, the
site's own settings): changes made as editors and moderators make them, each line of output
one JSON event with the moment its transaction committed.

    EDGE_DRIVER=delays EDGE_STORIES=/a/b/,/c/d/ EDGE_BASE=http://127.0.0.1:6081 EDGE_SAMPLES=30
        edit one story a time and poll it through the edge until the new headline shows:
        {"delay": seconds from commit to the first fresh response}
    EDGE_DRIVER=storm EDGE_SECONDS=120 EDGE_STORIES=...
        every second, one story edit and two comment approvals:
        {"story": path, "version": n, "committed": unix time}
"""

from __future__ import annotations

import itertools
import json
import os
import time
import urllib.request

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
from broadsheet.comments.moderation import approve_comment

MODE = os.environ["EDGE_DRIVER"]
PATHS = os.environ["EDGE_STORIES"].split(",")
BASE = os.environ.get("EDGE_BASE", "")


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


def stories() -> dict[str, ArticlePage]:
    return {path: ArticlePage.objects.get(url_path__endswith=path) for path in PATHS}


def edit(story: ArticlePage, headline: str) -> float:
    """Publish a new revision with this headline; when its transaction committed."""
    committed: list[float] = []
    story.title = headline
    with transaction.atomic():
        # Registered first, so it runs before the purges the publish registers.
        transaction.on_commit(lambda: committed.append(time.time()))
        story.save_revision().publish()
    return committed[0]


def headline(path: str, n: int, original: dict[str, str]) -> str:
    return f"{original[path]} #{n}"


def delays() -> None:
    found = stories()
    original = {p: s.title.split(" #")[0] for p, s in found.items()}
    for n, path in zip(range(int(os.environ.get("EDGE_SAMPLES", "30"))),
                       itertools.cycle(PATHS)):
        want = headline(path, n, original).encode()
        committed = edit(found[path], want.decode())
        purged = time.time()  # the purges run on commit, before edit() returns
        while True:
            with urllib.request.urlopen(BASE + path, timeout=5) as r:  # noqa: S310
                if want in r.read():
                    break
            time.sleep(0.002)
        emit(delay=time.time() - committed, purged=purged - committed)
        time.sleep(0.3)


def storm() -> None:
    found = stories()
    original = {p: s.title.split(" #")[0] for p, s in found.items()}
    seconds = int(os.environ.get("EDGE_SECONDS", "120"))
    User = get_user_model()
    moderator, _ = User.objects.get_or_create(username="bench-moderator@example.org",
                                              email="bench-moderator@example.org")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    reader, _ = User.objects.get_or_create(username="bench-reader@example.org",
                                           email="bench-reader@example.org")
    story_list = list(found.values())
    waiting = Comment.objects.bulk_create(
        Comment(story=story_list[i % len(story_list)], author=reader,
                body=f"A reader's view, number {i}.", status=Comment.Status.PENDING)
        for i in range(2 * seconds))
    emit(ready=time.time())
    start = time.monotonic()
    paths = itertools.cycle(PATHS)
    for second in range(seconds):
        path = next(paths)
        committed = edit(found[path], headline(path, 1000 + second, original))
        emit(story=path, version=1000 + second, committed=committed)
        for comment in waiting[2 * second:2 * second + 2]:
            approve_comment(comment, by=moderator)
        time.sleep(max(0.0, start + second + 1 - time.monotonic()))
    emit(done=time.time())


{"delays": delays, "storm": storm}[MODE]()
