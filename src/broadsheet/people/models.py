"""Authors: the people whose names go on stories."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Author(index.Indexed, models.Model):
    """A reporter, editor or contributor shown in bylines and on their own page."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True,
                            help_text="The address of the author's page: /authors/<slug>/")
    role = models.CharField(max_length=120, blank=True,
                            help_text="Shown under the name, e.g. 'Science correspondent'.")
    bio = models.TextField(blank=True, help_text="A short biography in plain text.")
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("role"), FieldPanel("bio"),
              FieldPanel("photo")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"),
                     index.SearchField("bio")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_author_slug(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("author", kwargs={"slug": self.slug})


def unique_author_slug(name: str) -> str:
    base = slugify(name, allow_unicode=True)[:180] or "author"
    slug, n = base, 2
    while Author.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def author_tag(author_id: int) -> str:
    """The page cache's tag for pages showing this author (their page)."""
    return f"author:{author_id}"
