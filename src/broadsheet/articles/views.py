from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from taggit.models import Tag

from broadsheet.pagecache.dependencies import STORIES, shows

from .models import ArticlePage


def topic(request, slug: str):
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404("No such topic")
    stories = ArticlePage.objects.teasers().filter(tagged_items__tag=tag)
    page = Paginator(stories, 20).get_page(request.GET.get("page"))
    if not page.object_list and page.number == 1:
        raise Http404("No published stories on this topic")
    shows(request, pages=page, tags=[STORIES])
    return render(request, "articles/topic.html", {"tag": tag, "stories": page})
