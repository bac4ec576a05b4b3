"""What a feed covers: the whole site, a section (with its subsections), an author, a topic."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse
from taggit.models import Tag

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_q
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage


@dataclass
class Scope:
    kind: str  # "all", "section", "author", "topic"
    key: str  # "" for all, the section's path below home, the author's or topic's slug
    title: str
    page_url: str
    stories: object  # a queryset of live stories

    def feed_url(self, fmt: str) -> str:
        if self.kind == "all":
            return reverse("feed", kwargs={"fmt": fmt})
        return reverse("scoped_feed", kwargs={"kind": self.kind, "key": self.key, "fmt": fmt})


def resolve(kind: str, key: str, site_name: str) -> Scope:
    # newest() walks the stories newest first: right when most of them qualify (the site, a
    # section); an author's or a topic's few are better found from their own table.
    stories = ArticlePage.objects.teasers()
    if kind == "all":
        return Scope("all", "", site_name, "/", ArticlePage.objects.newest())
    if kind == "section":
        section = (SectionPage.objects.live().exclude(restricted_q())
                   .filter(url_path__endswith=f"/{key.strip('/')}/").first())
        if section is None:
            raise Http404("No such section")
        return Scope("section", key.strip("/"), f"{section.title} · {site_name}", section.url,
                     ArticlePage.objects.newest().descendant_of(section))
    if kind == "author":
        author = Author.objects.filter(slug=key).first()
        if author is None:
            raise Http404("No such author")
        return Scope("author", key, f"{author.name} · {site_name}", author.get_absolute_url(),
                     stories.filter(bylines__author=author))
    if kind == "topic":
        tag = Tag.objects.filter(slug=key).first()
        if tag is None:
            raise Http404("No such topic")
        return Scope("topic", key, f"{tag.name} · {site_name}",
                     reverse("topic", kwargs={"slug": key}),
                     stories.filter(tagged_items__tag=tag))
    raise Http404("No such feed")


def section_key(section) -> str:
    """The part of a section's url_path below the home page: 'world/europe'."""
    return "/".join(section.url_path.strip("/").split("/")[1:])
