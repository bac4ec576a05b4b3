"""The one way to say that pages changed: `purge(tags)` and `purge_everything()`.

Tags are the vocabulary (dependencies.py): a rendered page notes what it shows (`page:<id>`
for every story or section on it, `stories` for any listing a new story can enter,
`spotlight`, `site-icon`), and a change names what it touched. Every caller, from publishing
to comments to imports, says it here, so adding a cache (an HTTP cache in front, issue 16)
means teaching this module, not finding every caller.

A purge runs after the current transaction commits: purged before, a reader fetching the page
between purge and commit would render and cache the old version again. Outside a transaction
it runs at once. What goes to the caches in front is written in the transaction itself (the
edge outbox), so a committed change cannot lose its purge there, and is sent once this host's
pages are gone. With several hosts (REDIS_URL), the other hosts' stores hear it the same way:
written with the change, published once this host's pages are gone (fanout.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from broadsheet.edge import outbox

from . import fanout, store
from .dependencies import STORIES, page_tag

log = logging.getLogger("broadsheet.pagecache")


def purge(tags: Iterable[str], *, using: str | None = None) -> None:
    """Drop every cached page that shows any of `tags`, once this transaction commits."""
    tags = frozenset(tags)
    if not tags:
        return

    # For the caches in front, with the change (and again later, with several hosts).
    waiting = outbox.enqueue(tags, using=using, again_after=fanout.edge_again_after())
    told = fanout.record(tags, using=using)  # for the other hosts, likewise

    def now():
        log.debug("purged %d pages for %s", store.purge_tags(tags), sorted(tags)[:5])
        # The other hosts next, then the caches in front: a cache purged while a host still
        # held the page would fetch it from there again and keep it.
        fanout.announce(told, tags, using=using)
        outbox.send_soon(waiting)

    transaction.on_commit(now, using=using)


def purge_everything(*, data_changed: bool = False, using: str | None = None) -> None:
    """Drop every cached page (the masthead, on every page, changed). With `data_changed`
    (stories written in bulk, which sends no signals: an import, the demo at scale) the
    shared cache's derived data (listings, visibility) goes too."""

    waiting = outbox.enqueue(everything=True, using=using,
                             again_after=fanout.edge_again_after())
    told = fanout.record(everything=True, using=using)

    def now():
        store.purge_all()
        if data_changed:
            cache.clear()  # shared by every host: cleared once, here
        fanout.announce(told, everything=True, using=using)
        outbox.send_soon(waiting)

    transaction.on_commit(now, using=using)


def tags_for_page(page) -> set[str]:
    """A page's own tag, its ancestors' (its sections and the home page list it) and
    `stories`: what its publication or withdrawal changes."""
    tags = {page_tag(page.pk), STORIES}
    tags.update(page_tag(pk) for pk in page.get_ancestors().values_list("pk", flat=True))
    return tags


def stories(story_ids: Iterable[int]) -> set[str]:
    """The tags of pages showing these stories (a comment count, a byline changed)."""
    return {page_tag(i) for i in story_ids}
