from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from broadsheet.articles.models import ArticlePage
from broadsheet.pagecache.dependencies import STORIES, shows

from .models import Author, author_tag


def author(request, slug: str):
    person = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    stories = ArticlePage.objects.teasers().filter(bylines__author=person)
    page = Paginator(stories, 20).get_page(request.GET.get("page"))
    shows(request, pages=page, tags=[STORIES, author_tag(person.pk)])
    return render(request, "people/author.html", {"author": person, "stories": page})
