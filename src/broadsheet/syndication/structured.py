"""schema.org structured data and link-preview (Open Graph, Twitter) tags.

Built as plain dictionaries from the story and its context, so every property Google
documents for NewsArticle is in one place; the template tags only serialise them.
"""

from __future__ import annotations

import json
import logging

from django.core.cache import cache
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import mark_safe
from wagtail.images import get_image_model

log = logging.getLogger("broadsheet.syndication")
# Google asks for images in 16:9, 4:3 and 1:1, at least 1200 px wide.
IMAGE_SPECS = ("fill-1200x675", "fill-1200x900", "fill-1200x1200")
SHARE_KEY = "broadsheet:share-images:{}"


def image_urls(image, absolute) -> list[str]:
    """Absolute URLs of the three crops, remembered per image (renditions never change)."""
    if image is None:
        return []
    key = f"broadsheet:ld-images:{image.pk}:{image.file_hash}"
    paths = cache.get(key)
    if paths is None:
        paths = _crop_paths(image)
        cache.set(key, paths, None)
    return [absolute(p) for p in paths]


def _crop_paths(image) -> list[str]:
    renditions = image.get_renditions(*IMAGE_SPECS)
    return [renditions[spec].url for spec in IMAGE_SPECS]


def image_urls_by_id(image_id: int, absolute) -> list[str]:
    """image_urls() of an image known by id (a section's or the site's share image), without
    loading the image on every page: remembered until the image changes (signal_handlers)."""
    key = SHARE_KEY.format(image_id)
    paths = cache.get(key)
    if paths is None:
        image = get_image_model().objects.filter(pk=image_id).first()
        try:
            paths = _crop_paths(image) if image else []
        except OSError:  # the file is missing: fall back rather than fail every page
            log.exception("share image %s cannot be read", image_id)
            paths = []
        cache.set(key, paths, None)
    return [absolute(p) for p in paths]


def fallback_images(*, section, masthead, absolute) -> list[str]:
    """The share image of a page with no picture of its own: its section's, else the site's
    default, else the logo (never nothing: link previews and Google want a picture)."""
    for image_id in (getattr(section, "share_image_id", None),
                     getattr(masthead, "default_share_image_id", None)):
        urls = image_urls_by_id(image_id, absolute) if image_id else []
        if urls:
            return urls
    return [absolute(static("broadsheet/logo.png"))]


def story_images(story, *, section, masthead, hotlinked, absolute) -> list[str]:
    """The story's picture for link previews and search results: its own, else the wire's
    picture shown from the wire's server, else its section's or the site's share image."""
    if story.hero_image_id:
        return image_urls(story.hero_image, absolute)
    if hotlinked is not None:
        return [hotlinked.src]
    return fallback_images(section=section, masthead=masthead, absolute=absolute)


def organization(site, absolute) -> dict:
    return {"@type": "Organization", "name": site.site_name or "Broadsheet",
            "url": absolute("/"),
            "logo": {"@type": "ImageObject", "url": absolute(static("broadsheet/logo.png")),
                     "width": 600, "height": 60}}


def news_article(story, *, section, authors, corrections, site, images, absolute) -> dict:
    # A story not published yet (an editor's preview) is dated now, as it would be if it
    # were published at this moment.
    published = story.first_published_at or story.go_live_at or timezone.now()
    modified = max([story.last_published_at or published,
                    *[c.made_at for c in corrections]])
    url = story.full_url  # the canonical address, from the site's configured root
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": story.title[:110],
        "description": story.teaser_summary,
        "image": images,
        "datePublished": published.isoformat(),
        "dateModified": modified.isoformat(),
        "author": ([{"@type": "Person", "name": a.name, "url": absolute(a.get_absolute_url())}
                    for a in authors]
                   or [{"@type": "Organization", "name": story.byline or site.site_name}]),
        "publisher": organization(site, absolute),
        "isAccessibleForFree": True,
        "inLanguage": story.language,
    }
    if section is not None:
        data["articleSection"] = section.title
    if story.dateline:
        data["locationCreated"] = {"@type": "Place", "name": story.dateline.title()}
    return data


def breadcrumbs(trail: list[tuple[str, str]], absolute) -> dict:
    return {"@context": "https://schema.org", "@type": "BreadcrumbList",
            "itemListElement": [{"@type": "ListItem", "position": n, "name": name,
                                 "item": absolute(url)}
                                for n, (name, url) in enumerate(trail, start=1)]}


def home_graph(site, absolute) -> list[dict]:
    return [
        {"@context": "https://schema.org", **organization(site, absolute)},
        {"@context": "https://schema.org", "@type": "WebSite", "name": site.site_name,
         "url": absolute("/"),
         "potentialAction": {
             "@type": "SearchAction",
             "target": {"@type": "EntryPoint",
                        "urlTemplate": absolute("/search/") + "?q={search_term_string}"},
             "query-input": "required name=search_term_string"}},
    ]


def script(data) -> str:
    """A JSON-LD block that no string in the data can break out of."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
