"""`broadsheet demo`: a whole newsroom, every widget with real data, loaded once."""

import io

import pytest
from django.core.management import call_command
from wagtail.images import get_image_model

from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
from broadsheet.frontpage.models import SpotlightPick
from broadsheet.people.models import Author
from broadsheet.readership.models import PageView
from broadsheet.sections.models import SectionPage


@pytest.fixture
def demo(home):
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_builds_a_full_newsroom(demo):
    assert "Demo newsroom loaded" in demo
    top_level = SectionPage.objects.filter(depth=3)
    assert top_level.count() >= 6
    assert SectionPage.objects.filter(depth=4).exists()  # a nested section
    assert ArticlePage.objects.live().count() >= 40
    assert Author.objects.count() == 5 and not Author.objects.filter(photo=None).exists()
    assert get_image_model().objects.count() >= 10
    assert SpotlightPick.objects.count() >= 4
    assert Comment.objects.count() > 10
    assert PageView.objects.count() > 100


def test_demo_pages_show_real_widgets(client, demo):
    story = ArticlePage.objects.live().order_by("-first_published_at").first()
    html = client.get(story.url).content.decode()
    for heading in ("Popular", "Spotlight", "More from", "Comments"):
        section = html[html.index(f">{heading}"):]
        assert "<li" in section[:3000], heading  # each widget lists something
    author = Author.objects.first()
    topic = story.tags.first()
    for url in ("/", story.get_parent().url, author.get_absolute_url(),
                f"/topics/{topic.slug}/"):
        assert client.get(url).status_code == 200, url


def test_demo_runs_once(demo):
    pages = ArticlePage.objects.count()
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert ArticlePage.objects.count() == pages


def test_scale_up_adds_stories_and_comments(demo):
    from broadsheet.demo.scale import scale_up

    story = ArticlePage.objects.live().first()
    before = ArticlePage.objects.live().count()
    scale_up(stories=30, comments=20, story=story)
    assert ArticlePage.objects.live().count() == before + 30
    assert Comment.objects.filter(story=story).count() >= 20
