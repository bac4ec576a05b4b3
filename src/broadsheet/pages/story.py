"""Everything the story page shows around the story itself, assembled in a fixed number of
queries whatever the size of the newsroom."""

from __future__ import annotations

from wagtail.models import Site

from broadsheet.articles.listing import latest_ids
from broadsheet.articles.models import ArticlePage
from broadsheet.comments.discussed import cached_most_discussed_ids
from broadsheet.comments.discussed import pick as pick_discussed
from broadsheet.comments.discussion import story_discussion
from broadsheet.frontpage.spotlight import pick_live, spotlight_ids
from broadsheet.ingest.hotlinking import hotlinked_hero
from broadsheet.masthead.models import Masthead
from broadsheet.pagecache.dependencies import SPOTLIGHT, expires_soon, shows
from broadsheet.readership.popular import POPULAR_TTL_SECONDS, cached_most_read_ids
from broadsheet.sections.models import SectionPage
from broadsheet.syndication.scopes import section_key

MORE_FROM_SIZE = 5


def bylines(story) -> list:
    return [b.author for b in story.bylines.select_related("author").order_by("sort_order")]


def context_for(story, request) -> dict:
    site = Site.find_for_request(request) if request else None
    section = (SectionPage.objects.filter(path=story.path[:-story.steplen])
               .only("title", "url_path", "slug", "path", "depth", "share_image").first())
    masthead = Masthead.for_request(request) if request else None
    # Popular, Spotlight and More from come from one teaser query between them.
    popular_ids = cached_most_read_ids()
    picks, spotlight_size = spotlight_ids(site)
    more_ids = ([i for i in latest_ids(section) if i != story.id][:MORE_FROM_SIZE]
                if section else [])
    discussed_rows = cached_most_discussed_ids()
    wanted = set(popular_ids) | set(picks) | set(more_ids) | {i for i, _ in discussed_rows}
    teasers = ({s.id: s for s in ArticlePage.objects.teasers().filter(id__in=wanted)}
               if wanted else {})
    popular = pick_live(popular_ids, teasers, len(popular_ids))
    spotlight = pick_live(picks, teasers, spotlight_size)
    more = pick_live(more_ids, teasers, MORE_FROM_SIZE)
    discussed = pick_discussed(discussed_rows, teasers)
    user = getattr(request, "user", None)

    shows(request, pages=[story, *popular, *spotlight, *more, *discussed],
          tags=[SPOTLIGHT] + ([f"page:{section.pk}"] if section else []))
    expires_soon(request, POPULAR_TTL_SECONDS)
    return {
        "section": section,
        "section_feed_key": section_key(section) if section else "",
        "authors": bylines(story),
        "tag_list": list(story.tags.all()),
        "corrections": list(story.corrections.all()),
        "popular": popular,
        "spotlight": spotlight,
        "more_from_section": more,
        "discussed": discussed,
        # The wire's picture, shown from the wire's server until it is fetched (if allowed).
        "hotlinked_hero": hotlinked_hero(
            story, allowed=bool(masthead and masthead.hotlink_wire_pictures)),
        **story_discussion(story, user=user, site=site),
    }


