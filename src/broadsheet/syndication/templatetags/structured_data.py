from django import template
from wagtail.models import Site

from broadsheet.masthead.address import absolute
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
                corrections=context.get("corrections", []), site=site, absolute=absolute))
            + structured.script(structured.breadcrumbs(trail, absolute)))


@register.simple_tag(takes_context=True)
def home_json_ld(context):
    request = context["request"]
    site = Site.find_for_request(request)
    return structured.script(structured.home_graph(site, absolute))


@register.simple_tag(takes_context=True)
def story_image_url(context):
    urls = structured.image_urls(context["page"].hero_image, absolute)
    return urls[0] if urls else absolute("/static/broadsheet/logo.png")
