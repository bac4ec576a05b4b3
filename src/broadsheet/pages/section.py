"""A section front: one page of its stories, its subsections, its feeds."""

from __future__ import annotations

from broadsheet.pagecache.dependencies import STORIES, shows
from broadsheet.syndication.scopes import section_key

from .signup import signup_form_context


def context_for(section, request) -> dict:
    stories = section.stories_page(request.GET.get("page"))
    shows(request, pages=[section, *stories], tags=[STORIES])
    return {"stories": stories, "subsections": section.subsections(),
            "feed_key": section_key(section), **signup_form_context(request)}
