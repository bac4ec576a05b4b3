"""Drafts, scheduled and unpublished stories are never public: not as pages, not in widgets."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from broadsheet.frontpage.models import Spotlight, SpotlightPick
from broadsheet.readership import journal
from broadsheet.readership.counting import View
from broadsheet.readership.folding import fold


def _everywhere(client, home, section, other_story):
    """Every public page that could list a story, concatenated."""
    return "".join(client.get(url).content.decode()
                   for url in (home.url, section.url, other_story.url))


@pytest.fixture
def public_story(world, make_story):
    return make_story(world, "The public story")


def _promote(story, site):
    """Put a story in every widget: Spotlight, and Popular (50 readers' views, folded into
    the scores as the scheduler would; Popular's cached ranking forgotten)."""
    spotlight = Spotlight.for_site(site)
    SpotlightPick.objects.create(spotlight=spotlight, story_id=story.pk)
    now = int(time.time() * 1000)
    for i in range(50):
        journal.record(View(now - i * 1000, story.pk, f"promoted-{story.pk}-{i}"))
    assert fold() == 50
    cache.clear()


def _widget(html: str, slug: str) -> str:
    start = html.index(f'id="widget-{slug}"')
    return html[start:html.index("</section>", start)]


def test_a_promoted_story_is_in_every_widget(client, home, world, make_story, public_story):
    """The control for the tests below: what _promote does would show a story, so their
    "not anywhere" can fail."""
    story = make_story(world, "Promoted headline")
    _promote(story, home.get_site())
    for url in (home.url, public_story.url):
        html = client.get(url).content.decode()
        assert "Promoted headline" in _widget(html, "popular"), url
        assert "Promoted headline" in _widget(html, "spotlight"), url


def test_draft_is_never_public(client, home, world, make_story, public_story):
    draft = make_story(world, "Secret draft headline", publish=False)
    _promote(draft, home.get_site())
    assert client.get(f"/world/{draft.slug}/").status_code == 404
    assert "Secret draft headline" not in _everywhere(client, home, world, public_story)


def test_scheduled_story_waits_for_its_time(client, home, world, make_story, public_story):
    story = make_story(world, "Scheduled headline", publish=False)
    story.go_live_at = timezone.now() + timedelta(hours=1)
    revision = story.save_revision()
    revision.publish()  # with a future go-live time this only schedules it
    story.refresh_from_db()
    assert not story.live
    _promote(story, home.get_site())
    call_command("publish_scheduled", verbosity=0)
    assert client.get(f"/world/{story.slug}/").status_code == 404
    assert "Scheduled headline" not in _everywhere(client, home, world, public_story)


def test_scheduled_story_goes_live_when_due(client, world, make_story):
    story = make_story(world, "Due headline", publish=False)
    story.go_live_at = timezone.now() + timedelta(hours=1)
    revision = story.save_revision()
    revision.publish()
    story.refresh_from_db()
    assert not story.live
    # Let the hour pass: the scheduled revision is now due.
    due = timezone.now() - timedelta(seconds=1)
    revision.refresh_from_db()
    revision.content["go_live_at"] = due.isoformat()
    revision.approved_go_live_at = due
    revision.save()
    from broadsheet.publishing.scheduler import run_due

    assert run_due()
    assert client.get(f"/world/{story.slug}/").status_code == 200


def test_unpublished_story_disappears_everywhere(client, home, world, make_story, public_story,
                                                django_capture_on_commit_callbacks):
    story = make_story(world, "Soon withdrawn headline")
    _promote(story, home.get_site())
    assert "Soon withdrawn headline" in _everywhere(client, home, world, public_story)
    with django_capture_on_commit_callbacks(execute=True):  # its purge, at the commit
        story.unpublish()
    assert client.get(story.url or f"/world/{story.slug}/").status_code == 404
    assert "Soon withdrawn headline" not in _everywhere(client, home, world, public_story)


def test_expired_story_comes_down_on_time(client, world, make_story):
    story = make_story(world, "Expiring headline")
    type(story).objects.filter(pk=story.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1))
    from broadsheet.publishing.scheduler import run_due

    assert run_due()
    assert client.get(f"/world/{story.slug}/").status_code == 404

