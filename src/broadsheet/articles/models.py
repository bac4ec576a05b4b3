"""Stories: the article page type, its bylines, tags and corrections log."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index

from broadsheet.assembly import Assembled
from broadsheet.site_paths import SiteRootPathsPerRequest

from .blocks import ArticleBodyBlock
from .visibility import RestrictionsRemembered, restricted_q

# What features add to every teaser, counted inside the teaser query itself (the comments
# app adds each story's comment count). Features register at start-up, so the content model
# imports none of them.
TEASER_ANNOTATIONS: list = []


def add_to_teasers(annotate) -> None:
    """`annotate(stories) -> stories` runs on every teaser query."""
    if annotate not in TEASER_ANNOTATIONS:
        TEASER_ANNOTATIONS.append(annotate)


def annotate_teasers(stories):
    for annotate in TEASER_ANNOTATIONS:
        stories = annotate(stories)
    return stories


class ArticleQuerySet(PageQuerySet):
    def teasers(self) -> ArticleQuerySet:
        """Live stories, newest first, with just what a teaser shows (and what features add
        to it, such as the comment count, counted in the same query)."""

        return annotate_teasers(
            self.live()
            .exclude(restricted_q())
            .select_related("hero_image")
            .only("id", "title", "url_path", "slug", "dek", "summary", "first_published_at",
                  "last_published_at", "hero_image", "path", "depth", "locale_id",
                  "content_type_id")
            .order_by("-first_published_at", "-id")
        )

    def newest(self) -> ArticleQuerySet:
        """teasers() for a list that shows the newest few of many stories (a section, a feed,
        the front page). The content type is implied by the story table, but saying it lets
        the database walk the page table's (content type, first published) index newest
        first and stop after the few shown, instead of sorting every story of a section:
        150 ms at 100,000 stories. Not for lookups by id, which it would slow down."""
        return self.teasers().filter(content_type=ContentType.objects.get_for_model(ArticlePage))

    def in_section(self, section: Page) -> ArticleQuerySet:
        return self.descendant_of(section)


ArticleManager = PageManager.from_queryset(ArticleQuerySet)


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey("articles.ArticlePage", on_delete=models.CASCADE,
                                 related_name="tagged_items")


class ArticlePage(Assembled, SiteRootPathsPerRequest, RestrictionsRemembered, Page):
    """A story: headline (the page title), dek, body, and everything around them."""

    class Comments(models.TextChoices):
        OPEN = "open", "Open"
        PREMODERATED = "premoderated", "Open, every comment checked by a moderator first"
        CLOSED = "closed", "Closed"

    dek = models.CharField(
        max_length=300, blank=True,
        help_text="The sub-headline: one sentence under the headline that sells the story.")
    summary = models.TextField(
        max_length=500, blank=True,
        help_text="One line for teasers and feeds. Leave empty to use the dek.")
    body = StreamField(ArticleBodyBlock(), blank=True)
    hero_image = models.ForeignKey("wagtailimages.Image", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    hero_caption = models.CharField(max_length=500, blank=True)
    hero_credit = models.CharField(max_length=200, blank=True)
    hero_alt = models.CharField(max_length=250, blank=True,
                                help_text="Describe the picture for readers who cannot see it.")
    dateline = models.CharField(max_length=100, blank=True,
                                help_text="Where the story was reported from, e.g. 'LISBON'.")
    byline = models.CharField(
        max_length=300, blank=True,
        help_text="A free-text byline for contributors without an author profile, e.g. wires.")
    language = models.CharField(max_length=35, default="en",
                                help_text="The story's language as a BCP 47 tag.")
    comments = models.CharField(max_length=12, choices=Comments.choices, default=Comments.OPEN,
                                help_text="Whether readers can comment on this story.")
    source_uri = models.CharField(
        max_length=500, null=True, blank=True, unique=True, editable=False,
        help_text="The identifier of the item this story was imported from (ninjs uri).")

    tags = ClusterTaggableManager(through=ArticleTag, blank=True)

    objects = ArticleManager()

    parent_page_types = ["sections.SectionPage"]
    subpage_types: list[str] = []

    content_panels = [
        FieldPanel("title", heading="Headline"),
        FieldPanel("dek"),
        FieldPanel("summary"),
        InlinePanel("bylines", label="Authors"),
        FieldPanel("byline"),
        FieldPanel("dateline"),
        MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_alt"),
                         FieldPanel("hero_caption"), FieldPanel("hero_credit")],
                        heading="Hero image"),
        FieldPanel("body"),
        FieldPanel("tags"),
        InlinePanel("corrections", label="Corrections and updates"),
    ]
    settings_panels = [*Page.settings_panels, FieldPanel("comments"), FieldPanel("language")]

    search_fields = [
        *Page.search_fields,
        index.SearchField("dek"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("byline"),
        index.SearchField("author_names"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("first_published_at"),
    ]

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"

    def author_names(self) -> str:
        """For the search index: readers search by who wrote a story."""
        return " ".join(b.author.name for b in self.bylines.select_related("author"))

    @property
    def teaser_summary(self) -> str:
        return self.summary or self.dek

    @property
    def section(self) -> Page | None:
        """The section the story is filed under (its parent page)."""
        return self.get_parent().specific_deferred

    def was_updated(self) -> bool:
        if not (self.first_published_at and self.last_published_at):
            return False
        return (self.last_published_at - self.first_published_at).total_seconds() > 60

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_alt.strip() and not self.hero_caption.strip():
            raise ValidationError({"hero_alt": "A hero image needs alt text or a caption."})

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        hotlinked = (getattr(response, "context_data", None) or {}).get("hotlinked_hero")
        if hotlinked is not None:
            # The wire's server may serve this page's picture: for this response only, never
            # every page's policy.
            response._csp_update = {"img-src": list(hotlinked.origins)}
        return response


class Byline(Orderable):
    """One author on a story, in byline order."""

    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey("people.Author", on_delete=models.CASCADE, related_name="bylines")

    panels = [FieldPanel("author")]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["page", "author"],
                                               name="byline_unique_author")]


class Correction(Orderable):
    """An entry in the story's corrections and updates log, shown at its foot."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CORRECTION)
    made_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(help_text="What was wrong or what changed, in plain words.")

    panels = [FieldPanel("kind"), FieldPanel("made_at"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        ordering = ["made_at"]
