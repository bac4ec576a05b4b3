"""The newsroom's dashboard shows the right numbers for a known set of views, to Editors and
Admins only, with a CSV of every table and a per-story view from the story's edit screen."""

import csv
import io
import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from broadsheet.publishing.roles import EDITORS, WRITERS, ensure_roles
from broadsheet.readership import journal
from broadsheet.readership.counting import View
from broadsheet.readership.folding import fold

HOUR = 3_600_000


@pytest.fixture
def known_views(make_section, make_story):
    """World A: 6 views by 4 readers (reader r0 three times, 40 min apart); World B: 2 views;
    Science C: 3 views. Referrers, devices and a campaign vary."""
    world, science = make_section("World"), make_section("Science")
    a, b = make_story(world, "World A"), make_story(world, "World B")
    c = make_story(science, "Science C")
    now = int(time.time() * 1000)
    t = now - now % HOUR - 5 * HOUR  # the start of an hour, five hours ago...
    # ...and earlier if need be, so the 80 minutes of views stay within one day (by the
    # site's clock): the daily figures below count each reader once a day.
    while timezone.localtime(datetime.fromtimestamp(t / 1000, tz=UTC)).hour >= 22:
        t -= HOUR
    rows = [(a, "r0", 0, "news.example.org", "mobile", ""),
            (a, "r0", 40, "news.example.org", "mobile", ""),  # next window, same hour
            (a, "r0", 80, "", "mobile", ""),  # next window, next hour
            (a, "r1", 5, "social.example", "desktop", "friday"),
            (a, "r2", 5, "", "desktop", ""),
            (a, "r3", 5, "", "tablet", ""),
            (b, "r1", 10, "social.example", "desktop", "friday"),
            (b, "r4", 10, "", "desktop", ""),
            (c, "r5", 20, "", "mobile", ""),
            (c, "r6", 20, "", "mobile", ""),
            (c, "r7", 20, "news.example.org", "desktop", "")]
    for story, visitor, minute, referrer, device, campaign in rows:
        journal.record(View(t + minute * 60_000, story.pk, visitor, device, referrer,
                            utm_campaign=campaign))
    assert fold() == 11
    return {"a": a, "b": b, "c": c, "world": world, "science": science}


def staff(django_user_model, group_name, name):
    ensure_roles()
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=name, email=f"{name}@example.org",
                                                 password="a-long-pass-123")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_dashboard_numbers_for_a_known_set_of_views(client, django_user_model, known_views):
    client.force_login(staff(django_user_model, EDITORS, "eddie"))
    assert "/admin/readership/" in client.get("/admin/").content.decode()  # the menu item
    response = client.get("/admin/readership/?days=1")
    assert response.status_code == 200
    ctx = response.context
    assert ctx["totals"]["views"] == 11
    # Site visitors per hour: hour 0 has r0..r7 (8 readers); hour 1 has r0 again.
    assert [r["visitors"] for r in ctx["series"] if r["views"]] == [8, 1]
    assert [(s["title"], s["views"], s["unique_views"]) for s in ctx["stories"]] == [
        ("World A", 6, 5), ("Science C", 3, 3), ("World B", 2, 2)]
    assert [(s["title"], s["views"]) for s in ctx["sections"]] == [("World", 8),
                                                                   ("Science", 3)]
    assert {r["value"]: r["views"] for r in ctx["referrers"]} == {
        "(direct)": 6, "news.example.org": 3, "social.example": 2}
    assert {r["value"]: r["views"] for r in ctx["devices"]} == {
        "mobile": 5, "desktop": 5, "tablet": 1}
    assert {r["value"]: r["views"] for r in ctx["campaigns"]} == {"(none)": 9, "friday": 2}
    html = response.content.decode()
    assert 'data-chart="readership"' in html and "<polyline" in html

    week = client.get("/admin/readership/?days=30").context
    assert week["totals"]["views"] == 11
    assert sum(r["visitors"] for r in week["series"]) == 8  # distinct readers that day


def test_every_table_exports_as_csv(client, django_user_model, known_views):
    client.force_login(staff(django_user_model, EDITORS, "eddie"))
    for table in ("series", "stories", "sections", "referrers", "devices", "campaigns"):
        response = client.get(f"/admin/readership/?days=7&csv={table}")
        assert response["Content-Type"].startswith("text/csv")
        assert f"readership-{table}-7d.csv" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) > 1, table
    stories = list(csv.DictReader(io.StringIO(
        client.get("/admin/readership/?days=7&csv=stories").content.decode())))
    assert stories[0] == {"page_id": str(known_views["a"].pk), "title": "World A",
                          "views": "6", "unique_views": "5"}
    assert client.get("/admin/readership/?csv=passwords").status_code == 404
    assert client.get("/admin/readership/?days=3").status_code == 404


def test_per_story_chart_from_the_edit_screen(client, django_user_model, known_views):
    a = known_views["a"]
    client.force_login(staff(django_user_model, EDITORS, "eddie"))
    edit = client.get(f"/admin/pages/{a.pk}/edit/").content.decode()
    assert f"/admin/readership/page/{a.pk}/" in edit
    response = client.get(f"/admin/readership/page/{a.pk}/?days=1")
    assert response.context["totals"] == {"views": 6, "visitors": 5}
    assert {r["value"]: r["views"] for r in response.context["devices"]} == {
        "mobile": 3, "desktop": 2, "tablet": 1}
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/admin/readership/page/{a.pk}/?days=1&csv=referrers").content.decode())))
    assert {r["value"]: r["views"] for r in rows} == {"(direct)": "3",
                                                      "news.example.org": "2",
                                                      "social.example": "1"}


def test_only_editors_and_admins_see_readership(client, django_user_model, known_views):
    client.force_login(staff(django_user_model, WRITERS, "wendy"))
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    for url in ("/admin/readership/", f"/admin/readership/page/{known_views['a'].pk}/",
                "/admin/readership/?csv=stories"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert "/admin/readership/" not in client.get("/admin/").content.decode()
    client.logout()
    assert client.get("/admin/readership/")["Location"].startswith("/admin/login/")


def test_csv_cells_from_readers_cannot_be_formulas(client, django_user_model, world,
                                                   make_story):
    story = make_story(world)
    journal.record(View(int(time.time() * 1000), story.pk, "x", "desktop",
                        utm_campaign="=hyperlink(1)"))
    fold()
    client.force_login(staff(django_user_model, EDITORS, "eddie"))
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/readership/?days=1&csv=campaigns").content.decode())))
    assert rows[1] == ["'=hyperlink(1)", "1"]
