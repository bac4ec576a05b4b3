"""Feeds and robots.txt. Thin: scope and feed building live in scopes.py and feeds.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings as django_settings
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from wagtail.models import Site

from broadsheet.address import absolute
from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_q
from broadsheet.pagecache.dependencies import STORIES, shows

from . import feeds
from .models import FeedSettings
from .scopes import resolve
from .sitemaps import index_entries, index_xml, sitemap_for


def feed(request, fmt: str, kind: str = "all", key: str = ""):
    if fmt not in feeds.FORMATS:
        raise Http404("No such feed format")
    site = Site.find_for_request(request)
    settings = FeedSettings.for_site(site)
    scope = resolve(kind, key, site.site_name or "Broadsheet")
    stories = feeds.latest(scope.stories, limit=settings.items)
    changed = feeds.last_change(stories)
    # The ids too: a story unpublished or restricted leaves the feed without changing a time.
    shown = ",".join(str(s.pk) for s in stories)
    etag = '"{}"'.format(hashlib.sha256(
        f"{kind}|{key}|{fmt}|{changed}|{settings.full_text}|{settings.items}|{shown}".encode()
    ).hexdigest()[:32])
    last_modified = int(changed.timestamp()) if changed else None
    # Django's own conditional GET (If-None-Match, If-Modified-Since and the rest, as RFC
    # 9110 orders them); the ETag and time come from the stories fetched once above, which
    # is why this is not the `condition` decorator (it would fetch them twice).
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        body = feeds.render(
            fmt, title=scope.title, link=absolute(scope.page_url),
            feed_url=absolute(scope.feed_url(fmt)),
            description=f"The latest stories: {scope.title}",
            language=django_settings.LANGUAGE_CODE,  # the site's language
            entries=feeds.items(stories, absolute, full_text=settings.full_text),
            updated=changed)
        response = HttpResponse(body, content_type=feeds.FORMATS[fmt])
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    shows(request, tags=[STORIES])
    return response


def robots(request):
    sitemap = absolute("/sitemap.xml")
    body = ("User-agent: *\n"
            "Disallow: /admin/\n"
            "Disallow: /accounts/\n"
            "Disallow: /_/\n"
            # Result pages are endless and thin; the search page itself may be found.
            "Disallow: /search/?\n"
            f"Sitemap: {sitemap}\n")
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def sitemap_index(request):

    shows(request, tags=[STORIES])
    return HttpResponse(index_xml(index_entries(), absolute("")),
                        content_type="application/xml; charset=utf-8")


def sitemap_section(request, section: str):
    sitemap = sitemap_for(section)
    if sitemap is None:
        raise Http404("No such sitemap")
    shows(request, tags=[STORIES])
    return sitemap_views.sitemap(request, {section: sitemap}, section=section,
                                 template_name="syndication/sitemap.xml")


NEWS_WINDOW_HOURS = 48  # Google News reads stories of the last two days
NEWS_LIMIT = 1000  # the News sitemap protocol's maximum


def news_sitemap(request):
    site = Site.find_for_request(request)
    stories = (ArticlePage.objects.live().exclude(restricted_q())
               .filter(first_published_at__gte=timezone.now() - timedelta(
                   hours=NEWS_WINDOW_HOURS))
               .order_by("-first_published_at", "-id")
               .only("title", "url_path", "path", "depth", "first_published_at", "language",
                     "locale_id", "content_type_id")[:NEWS_LIMIT])
    shows(request, tags=[STORIES])
    return render(request, "syndication/news_sitemap.xml", {
        "stories": stories, "publication": site.site_name or "Broadsheet",
        "base": absolute("")},
        content_type="application/xml; charset=utf-8")
