"""Everything the story page shows around the story itself, assembled in a fixed number of
queries whatever the size of the newsroom.

Every part is lazy: the template keeps most of the page as fragments between purges
(pagecache/fragments.py), and a part whose fragment is found is never worked out. What a part
shows is noted when it is worked out, so the fragment that needed it carries its tags.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject, cached_property
from wagtail.models import Site

from broadsheet.articles.listing import latest_ids
from broadsheet.articles.models import ArticlePage
from broadsheet.comments.discussed import DISCUSSED_TTL_SECONDS, cached_most_discussed_ids
from broadsheet.comments.discussed import pick as pick_discussed
from broadsheet.comments.discussion import story_discussion
from broadsheet.frontpage.spotlight import pick_live, spotlight_ids
from broadsheet.ingest.hotlinking import hotlinked_hero
from broadsheet.masthead.models import Masthead
from broadsheet.pagecache.dependencies import SPOTLIGHT, expires_soon, shows
from broadsheet.readership.popular import POPULAR_TTL_SECONDS, cached_most_read_ids
from broadsheet.sections.models import SectionPage
from broadsheet.syndication.scopes import section_key

from .signup import signup_form_context

MORE_FROM_SIZE = 5


def bylines(story) -> list:
    return [b.author for b in story.bylines.select_related("author").order_by("sort_order")]


def section_of(story):
    return (SectionPage.objects.filter(path=story.path[:-story.steplen])
            .only("title", "url_path", "slug", "path", "depth", "share_image").first())


class Teasers:
    """Popular, Spotlight, More from and See what people are discussing: ids from each
    feature, then one teaser query for all four, made only if one of them is shown. Each list
    notes its stories (and its clock) when first shown, in the fragment showing it."""

    def __init__(self, story, section, site, request):
        self.story, self.section, self.site, self.request = story, section, site, request

    @cached_property
    def _lists(self) -> dict:
        popular_ids = cached_most_read_ids()
        picks, spotlight_size = spotlight_ids(self.site)
        more_ids = ([i for i in latest_ids(self.section) if i != self.story.id][:MORE_FROM_SIZE]
                    if self.section else [])
        discussed_rows = cached_most_discussed_ids()
        wanted = (set(popular_ids) | set(picks) | set(more_ids)
                  | {i for i, _ in discussed_rows})
        teasers = ({s.id: s for s in ArticlePage.objects.teasers().filter(id__in=wanted)}
                   if wanted else {})
        return {"popular": pick_live(popular_ids, teasers, len(popular_ids)),
                "spotlight": pick_live(picks, teasers, spotlight_size),
                "more": pick_live(more_ids, teasers, MORE_FROM_SIZE),
                "discussed": pick_discussed(discussed_rows, teasers)}

    def popular(self) -> list:
        expires_soon(self.request, POPULAR_TTL_SECONDS)
        return self._shown("popular")

    def spotlight(self) -> list:
        shows(self.request, tags=[SPOTLIGHT])
        return self._shown("spotlight")

    def more(self) -> list:
        if self.section:  # a story newly published in the section enters the list
            shows(self.request, pages=[self.section])
        return self._shown("more")

    def discussed(self) -> list:
        expires_soon(self.request, DISCUSSED_TTL_SECONDS)
        return self._shown("discussed")

    def _shown(self, name: str) -> list:
        stories = self._lists[name]
        shows(self.request, pages=stories)
        return stories


def context_for(story, request) -> dict:
    site = Site.find_for_request(request) if request else None
    masthead = Masthead.for_request(request) if request else None
    user = getattr(request, "user", None)
    section = SimpleLazyObject(lambda: section_of(story))
    teasers = Teasers(story, section, site, request)
    discussion = story_discussion(story, user=user, site=site)

    shows(request, pages=[story])
    return {
        "section": section,
        "section_feed_key": SimpleLazyObject(lambda: section_key(section) if section else ""),
        "authors": SimpleLazyObject(lambda: bylines(story)),
        "tag_list": SimpleLazyObject(lambda: list(story.tags.all())),
        "corrections": SimpleLazyObject(lambda: list(story.corrections.all())),
        "popular": SimpleLazyObject(teasers.popular),
        "spotlight": SimpleLazyObject(teasers.spotlight),
        "more_from_section": SimpleLazyObject(teasers.more),
        "discussed": SimpleLazyObject(teasers.discussed),
        # The wire's picture, shown from the wire's server until it is fetched (if allowed).
        # Worked out on every request: the response's CSP must let its origin in.
        "hotlinked_hero": hotlinked_hero(
            story, allowed=bool(masthead and masthead.hotlink_wire_pictures)),
        **discussion,
        **signup_form_context(request),
    }
