"""Newsletter editions in the admin (issue 18): Writers draft, Editors schedule, send and
cancel; preview, test, figures with CSV; a story sent as an alert after a confirm step."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from broadsheet.newsletters import editions, scheduled
from broadsheet.newsletters.models import Edition, Newsletter
from broadsheet.publishing.roles import EDITORS, WRITERS, ensure_roles
from tests.newsletter_support import readers


@pytest.fixture
def staff(django_user_model):
    ensure_roles()

    def make(group: str, name: str):
        user = django_user_model.objects.create_user(
            username=name, email=f"{name}@news.example", password="a-long-pass-123")
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard."""
    return response.status_code == 302 and response.url == "/admin/"


@pytest.fixture
def alerts(home):
    return Newsletter.objects.create(name="Breaking news", slug="breaking",
                                     kind=Newsletter.Kind.ALERT)


def test_writers_draft_but_cannot_send(client, staff, briefing, stories, smtp, alerts):
    readers(briefing, 2)
    readers(alerts, 1, start=5)
    client.force_login(staff(WRITERS, "wren"))
    assert "/admin/newsletters/editions/" in client.get("/admin/").content.decode()
    response = client.post("/admin/newsletters/editions/new/", {"newsletter": briefing.pk})
    edition = Edition.objects.get()
    assert response.url == f"/admin/newsletters/editions/{edition.pk}/"
    page = client.get(response.url).content.decode()
    assert "Save and build again" in page and "Send now" not in page
    client.post(response.url, {"subject": "Wren's morning", "intro": "Good morning."})
    edition.refresh_from_db()
    assert edition.subject == "Wren's morning" and "Good morning." in edition.html
    for action in ("schedule", "cancel"):
        assert refused(client.post(f"{response.url}{action}/", {"now": "1"}))
    story = stories[0]
    assert refused(client.get(f"/admin/newsletters/alert/{story.pk}/"))
    assert refused(client.post(f"/admin/newsletters/alert/{story.pk}/",
                               {"newsletter": alerts.pk, "confirm": "yes"}))
    assert "Send as alert" not in client.get(f"/admin/pages/{story.pk}/edit/").content.decode()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT
    assert Edition.objects.count() == 1
    scheduled.send_due()
    assert smtp.delivered == 0


def test_editors_schedule_send_and_cancel(client, staff, briefing, stories, smtp):
    readers(briefing, 3)
    client.force_login(staff(EDITORS, "eddie"))
    first = editions.build(briefing)
    url = f"/admin/newsletters/editions/{first.pk}/"
    assert "Send now to 3 readers" in client.get(url).content.decode()
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"{url}schedule/", {"send_at": later})
    first.refresh_from_db()
    assert first.status == Edition.Status.SCHEDULED and first.send_at > timezone.now()
    client.post(f"{url}cancel/")
    first.refresh_from_db()
    assert first.status == Edition.Status.CANCELLED
    past = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    second = editions.build(briefing)
    response = client.post(f"/admin/newsletters/editions/{second.pk}/schedule/",
                           {"send_at": past}, follow=True)
    assert "Choose a time in the future" in response.content.decode()
    client.post(f"/admin/newsletters/editions/{second.pk}/schedule/", {"now": "1"})
    scheduled.send_due()  # what the scheduler's tick runs
    second.refresh_from_db()
    assert second.status == Edition.Status.SENT and second.sent == 3 and smtp.delivered == 3
    # Too late to cancel or change.
    response = client.post(f"/admin/newsletters/editions/{second.pk}/cancel/", follow=True)
    assert "already started" in response.content.decode()
    assert refused(client.post(f"/admin/newsletters/editions/{second.pk}/",
                               {"subject": "x", "intro": ""}))


def test_preview_test_and_figures(client, staff, briefing, stories, smtp):
    readers(briefing, 2)
    editor = staff(EDITORS, "eddie")
    client.force_login(editor)
    edition = editions.build(briefing, subject="=HYPERLINK(\"x\")")
    base = f"/admin/newsletters/editions/{edition.pk}/"
    html = client.get(f"{base}preview/html/")
    assert "script-src" not in html["Content-Security-Policy"]
    assert "default-src 'none'" in html["Content-Security-Policy"]
    assert stories[0].title in html.content.decode()
    assert "%%BROADSHEET" not in html.content.decode()
    text = client.get(f"{base}preview/text/")
    assert text["Content-Type"].startswith("text/plain")
    assert stories[0].title in text.content.decode()
    client.post(f"{base}test/")
    assert smtp.per_recipient == {"eddie@news.example": 1}
    client.post(f"{base}schedule/", {"now": "1"})
    scheduled.send_due()
    figures = client.get(f"/admin/newsletters/{briefing.pk}/figures/")
    assert b'data-chart="newsletter"' in figures.content
    body = client.get(f"/admin/newsletters/{briefing.pk}/figures/?csv=1").content.decode()
    header, row = csv.reader(io.StringIO(body))
    assert header[:4] == ["started_at", "subject", "recipients", "sent"]
    assert row[1] == "'=HYPERLINK(\"x\")"  # a subject never becomes a spreadsheet formula
    assert row[2:] == ["2", "2", "0", "0", "0", "0", "", ""]  # not tracked: no counts


def test_an_alert_from_the_story_page(client, staff, alerts, stories, world, make_story, smtp):
    readers(alerts, 2)
    client.force_login(staff(EDITORS, "eddie"))
    story = stories[1]
    edit = client.get(f"/admin/pages/{story.pk}/edit/").content.decode()
    assert f"/admin/newsletters/alert/{story.pk}/" in edit  # the "Send as alert" button
    confirm = client.get(f"/admin/newsletters/alert/{story.pk}/")
    assert "Breaking news (2 readers)" in confirm.content.decode()
    assert not Edition.objects.exists()  # the confirm step sends nothing
    response = client.post(f"/admin/newsletters/alert/{story.pk}/",
                           {"newsletter": alerts.pk, "confirm": "yes",
                            "subject": "Breaking: it happened"})
    edition = Edition.objects.get()
    assert response.url == f"/admin/newsletters/editions/{edition.pk}/"
    assert edition.story_id == story.pk and edition.status == Edition.Status.SCHEDULED
    scheduled.send_due()
    assert smtp.delivered == 2
    assert {m["Subject"] for m in smtp.messages} == {"Breaking: it happened"}
    draft = make_story(world, "Not out yet", publish=False)
    assert client.get(f"/admin/newsletters/alert/{draft.pk}/").status_code == 404
