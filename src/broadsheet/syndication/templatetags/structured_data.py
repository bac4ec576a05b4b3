from django import template
from wagtail.models import Site

from broadsheet.address import absolute
from broadsheet.masthead.models import Masthead
from broadsheet.sections.models import SectionPage
from broadsheet.syndication import structured

register = template.Library()


@register.simple_tag(takes_context=True)
def story_json_ld(context):
    request = context["request"]
    story, section = context["page"], context.get("section")
    site = Site.find_for_request(request)
    trail = [(site.site_name or "Home", "/")]
    if section is not None:
        trail.append((section.title, section.url))
    trail.append((story.title, story.url))
    return (structured.script(structured.news_article(
                story, section=section, authors=context.get("authors", []),
                corrections=context.get("corrections", []), site=site,
                images=_story_images(context), absolute=absolute))
            + structured.script(structured.breadcrumbs(trail, absolute)))


@register.simple_tag(takes_context=True)
def home_json_ld(context):
    request = context["request"]
    site = Site.find_for_request(request)
    return structured.script(structured.home_graph(site, absolute))


@register.simple_tag(takes_context=True)
def story_image_url(context):
    return _story_images(context)[0]


@register.simple_tag(takes_context=True)
def share_image_url(context):
    """og:image and twitter:image of any page but a story: a section's share image, else the
    site's."""
    request = context["request"]
    page = context.get("page")
    return structured.fallback_images(
        section=page if isinstance(page, SectionPage) else None,
        masthead=Masthead.for_request(request), absolute=absolute)[0]


def _story_images(context) -> list[str]:
    # Asked for by the link-preview tags and the JSON-LD, in different blocks: worked out once.
    request = context["request"]
    if "share_images" not in request.__dict__:
        request.share_images = structured.story_images(
            context["page"], section=context.get("section"),
            masthead=Masthead.for_request(request), hotlinked=context.get("hotlinked_hero"),
            absolute=absolute)
    return request.share_images
