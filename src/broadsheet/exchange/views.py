"""ninjs for partners: one story, or every story changed since a time, a page at a time."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from broadsheet.address import absolute
from broadsheet.ids import query_number
from broadsheet.pagecache.dependencies import STORIES, shows

from .ninjs_out import (
    item_for,
    published_stories,
    section_of,
    sections_of,
)

PAGE_SIZE = 50
MAX_OFFSET = timedelta(hours=14)  # the furthest any time zone is from UTC
CONTENT_TYPE = "application/json"


@require_GET
def story(request, story_id: int):
    found = published_stories().filter(pk=story_id).first()
    if found is None:
        raise Http404("No published story with this id")
    shows(request, pages=[found])
    return _json(item_for(found, absolute=absolute))


@require_GET
def collection(request):
    """Stories oldest change first, so a partner can poll with since=<last versionCreated>.

    ?since=<ISO 8601 time with zone> keeps stories changed at or after that time;
    ?page=N walks the pages; `next` is the address of the following page.
    """
    stories = published_stories().order_by("last_published_at", "id")
    since = request.GET.get("since")
    if since:
        when = _time(since)
        if when is None:
            return HttpResponseBadRequest(
                "since: give a date and time with a time zone, e.g. 2025-01-31T09:00:00Z",
                content_type="text/plain")
        stories = stories.filter(last_published_at__gte=when)
    paginator = Paginator(stories, PAGE_SIZE)
    try:
        page = paginator.page(query_number(request.GET, "page", minimum=1, default=1))
    except EmptyPage:
        raise Http404("No such page") from None
    items = list(page.object_list)
    sections = sections_of(items)
    body = {
        "items": [item_for(s, absolute=absolute, section=section_of(s, sections))
                  for s in items],
        "count": paginator.count,
        "page": page.number,
        "next": None,
    }
    if page.has_next():
        query = request.GET.copy()
        query["page"] = page.next_page_number()
        body["next"] = absolute(f"{request.path}?{query.urlencode()}")
    shows(request, tags=[STORIES])
    return _json(body)


def _time(value: str):
    """An aware time from ISO 8601, in UTC; None for anything else, including offsets no time
    zone has (the database refuses them) and times that fall off the calendar in UTC."""
    try:
        parsed = parse_datetime(value.replace(" ", "+"))  # a "+" sent unescaped is a space
        if parsed is None or parsed.tzinfo is None or abs(parsed.utcoffset()) > MAX_OFFSET:
            return None
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _json(data) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=CONTENT_TYPE)
