"""`broadsheet demo`: a whole newsroom, every widget with real data, loaded once."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from broadsheet.articles.models import ArticlePage, Byline, Correction
from broadsheet.comments.models import Comment
from broadsheet.frontpage.models import SpotlightPick
from broadsheet.masthead.models import Masthead
from broadsheet.people.models import Author
from broadsheet.readership.models import PageView
from broadsheet.sections.models import SectionPage


@pytest.fixture
def demo(home):
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {"pages": Page.objects.count(), "images": get_image_model().objects.count(),
            "authors": Author.objects.count(), "bylines": Byline.objects.count(),
            "picks": SpotlightPick.objects.count(), "comments": Comment.objects.count(),
            "views": PageView.objects.count(), "users": get_user_model().objects.count(),
            "corrections": Correction.objects.count()}


def test_demo_builds_a_full_newsroom_once(demo):
    assert "Demo newsroom loaded" in demo
    assert SectionPage.objects.filter(depth=3, in_navigation=True).count() >= 6
    assert SectionPage.objects.filter(depth=4).exists()  # World > Europe
    stories = ArticlePage.objects.live()
    assert stories.count() >= 40
    assert stories.filter(hero_image=None).count() == 0
    assert stories.exclude(dateline="").count() == stories.count()
    assert not stories.annotate(n=Count("bylines")).filter(n=0).exists()
    assert Author.objects.count() == 5 and not Author.objects.filter(photo=None).exists()
    assert get_image_model().objects.count() >= 10
    assert Correction.objects.exists()
    assert SpotlightPick.objects.count() >= 4
    assert SpotlightPick.objects.filter(expires_at__lt=timezone.now()).count() == 1
    assert Comment.objects.count() > 10
    assert PageView.objects.count() > 100
    assert PageView.objects.filter(viewed_at__gte=timezone.now() - timedelta(hours=24)).exists()
    # Published over the last ten days or so, not all at once.
    oldest = stories.order_by("first_published_at").first().first_published_at
    assert timedelta(days=7) < timezone.now() - oldest < timedelta(days=11)
    # Topics are shared, so topic pages list several stories.
    assert Tag.objects.annotate(n=Count("articles_articletag_items")).filter(n__gte=3).exists()
    site = Site.objects.get(is_default_site=True)
    assert site.site_name == "The Riverton Courier"
    assert Masthead.for_site(site).tagline
    share = Masthead.for_site(site).default_share_image  # the demo's own, not a drawn one
    assert (share.width, share.height) == (1200, 630) and "Riverton" in share.title
    # A morning briefing on a schedule and breaking alerts, with one past send.
    from broadsheet.newsletters.models import Edition, Newsletter

    briefing = Newsletter.objects.get(kind="briefing", send_daily_at__isnull=False)
    assert Newsletter.objects.filter(kind="alert", active=True).exists()
    (past,) = Edition.objects.filter(status="sent")
    assert past.newsletter == briefing and past.sent == past.recipients > 0
    assert past.story_ids and "Good morning." in past.text

    before = snapshot()
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "demo newsroom already loaded" in out.getvalue()
    assert snapshot() == before


def test_demo_pages_show_real_widgets(client, demo):
    story = ArticlePage.objects.live().order_by("-first_published_at").first()
    response = client.get(story.url)
    assert response.status_code == 200
    assert len(response.context["popular"]) == 5
    assert len(response.context["spotlight"]) == 4  # the expired pick is gone
    assert response.context["more_from_section"]
    html = response.content.decode()
    for popular in response.context["popular"]:
        assert popular.title in html

    home = client.get("/")
    assert home.status_code == 200 and story.title in home.content.decode()
    section = SectionPage.objects.get(slug="local")
    page = client.get(section.url)
    assert page.status_code == 200 and len(page.context["stories"]) >= 5

    author = Author.objects.annotate(n=Count("bylines")).order_by("-n").first()
    page = client.get(f"/authors/{author.slug}/")
    assert page.status_code == 200 and author.name in page.content.decode()
    assert len(page.context["stories"]) >= 3

    topic = Tag.objects.annotate(n=Count("articles_articletag_items")).order_by("-n").first()
    page = client.get(f"/topics/{topic.slug}/")
    assert page.status_code == 200 and len(page.context["stories"]) >= 3


def test_scale_up_adds_stories_and_comments(client, demo):
    from broadsheet.demo.scale import scale_up

    story = ArticlePage.objects.live().order_by("-first_published_at").first()
    before = ArticlePage.objects.live().count()
    done = scale_up(stories=30, comments=20, story=story)
    assert done["stories"] == 30 and done["comments"] == 20
    assert ArticlePage.objects.live().count() == before + 30
    assert Comment.objects.filter(story=story).count() >= 20
    assert Page.find_problems() == ([], [], [], [], [])  # the tree is sound
    scale_up(stories=10, comments=0)  # a second run finds free slugs and tree positions
    assert ArticlePage.objects.live().count() == before + 40

    archived = ArticlePage.objects.filter(slug__startswith="archive-").last()
    assert client.get(archived.url).status_code == 200
    assert client.get(archived.get_parent().url + "?page=2").status_code == 200
    assert client.get(story.url).status_code == 200
