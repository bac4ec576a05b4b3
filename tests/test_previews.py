"""Editors preview stories in every state: never published, scheduled, live with a draft,
unpublished; through Wagtail's preview, "view draft" and the new-story preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

FORM = {"body-count": "0", "bylines-TOTAL_FORMS": "0", "bylines-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0", "corrections-INITIAL_FORMS": "0",
        "comments": "open", "language": "en"}


@pytest.fixture
def stories(world, make_story):
    never = make_story(world, "Never published", publish=False)
    scheduled = make_story(world, "Scheduled", publish=False)
    scheduled.go_live_at = timezone.now() + timedelta(days=1)
    scheduled.save_revision().publish()
    live = make_story(world, "Live with a draft")
    draft = live.get_latest_revision_as_object()
    draft.title = "Live with a draft (edited)"
    draft.save_revision()
    unpublished = make_story(world, "Unpublished")
    unpublished.unpublish()
    return {"never": never, "scheduled": scheduled, "live": live, "unpublished": unpublished}


@pytest.mark.parametrize("state", ["never", "scheduled", "live", "unpublished"])
def test_view_draft_and_preview_work_in_every_state(admin_client, stories, state):
    story = stories[state]
    response = admin_client.get(f"/admin/pages/{story.pk}/view_draft/")
    assert response.status_code == 200, response.content[:500]
    assert b'"@type": "NewsArticle"' in response.content
    preview = f"/admin/pages/{story.pk}/edit/preview/"
    posted = admin_client.post(preview, {**FORM, "title": f"{story.title} (preview)",
                                         "slug": story.slug, "dek": "A dek."})
    assert posted.status_code == 200 and posted.json()["is_valid"], posted.content[:500]
    shown = admin_client.get(preview)
    assert shown.status_code == 200, shown.content[:500]
    assert f"{story.title} (preview)".encode() in shown.content


def test_a_new_story_can_be_previewed_before_it_is_saved(admin_client, world):
    preview = f"/admin/pages/add/articles/articlepage/{world.pk}/preview/"
    posted = admin_client.post(preview, {**FORM, "title": "Brand new", "slug": "brand-new",
                                         "dek": "Not saved yet."})
    assert posted.status_code == 200 and posted.json()["is_valid"], posted.content[:500]
    shown = admin_client.get(preview)
    assert shown.status_code == 200, shown.content[:500]
    assert b"Brand new" in shown.content and b'"@type": "NewsArticle"' in shown.content
