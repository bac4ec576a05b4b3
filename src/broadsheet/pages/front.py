"""The front page: lead story, top stories, a block per section, Popular."""

from __future__ import annotations

from wagtail.models import Site

from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.spotlight import spotlight_stories
from broadsheet.pagecache.dependencies import SPOTLIGHT, STORIES, expires_soon, shows
from broadsheet.readership.popular import POPULAR_TTL_SECONDS, most_read
from broadsheet.sections.models import child_sections


def front_page_context(home, request) -> dict:
    top = list(ArticlePage.objects.newest().descendant_of(home)[: 1 + home.top_stories_count])
    lead, top_stories = (top[0], top[1:]) if top else (None, [])
    shown = {s.id for s in top}

    sections = child_sections(home, in_navigation=True)
    blocks = []
    for section in sections:
        # One query per section block; the number of sections is the newsroom's choice and
        # small (a dozen at most), not a function of how many stories there are.
        stories = list(ArticlePage.objects.newest().descendant_of(section)
                       .exclude(id__in=shown)[: home.stories_per_section])
        if stories:
            blocks.append({"section": section, "stories": stories})
    popular = most_read()
    site = Site.find_for_request(request) if request else None
    spotlight = spotlight_stories(site)

    shows(request, pages=[*top, *popular, *spotlight, *(s for b in blocks for s in b["stories"])],
          tags=[STORIES, SPOTLIGHT])
    expires_soon(request, POPULAR_TTL_SECONDS)
    return {"lead": lead, "top_stories": top_stories, "section_blocks": blocks,
            "popular": popular, "spotlight": spotlight}
