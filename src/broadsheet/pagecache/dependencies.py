"""What a rendered page shows, noted while it renders, so a purge can find it later."""

from __future__ import annotations

from collections.abc import Iterable

STORIES = "stories"  # any listing a newly published story can enter
SPOTLIGHT = "spotlight"


def page_tag(page_id: int) -> str:
    return f"page:{page_id}"


def shows(request, *, pages: Iterable = (), tags: Iterable[str] = ()) -> None:
    """Record that the response to `request` shows these pages (objects or ids) and tags."""
    if request is None:
        return
    new = {page_tag(getattr(page, "pk", page)) for page in pages}
    new.update(tags)
    request.__dict__.setdefault("pagecache_tags", set()).update(new)
    # A fragment being rendered (fragments.py) shows them too.
    for fragment in request.__dict__.get("pagecache_fragments", ()):
        fragment.tags.update(new)


def expires_soon(request, seconds: int) -> None:
    """The response shows something that moves on its own clock (Popular)."""
    if request is None:
        return
    current = getattr(request, "pagecache_max_age", None)
    request.pagecache_max_age = seconds if current is None else min(current, seconds)
    for fragment in request.__dict__.get("pagecache_fragments", ()):
        fragment.expires_soon(seconds)
