"""Nothing personal is kept: after real page views, beacons and pixels, no table, column or
file holds the reader's IP address or user agent, and no cookie is ever set."""

from pathlib import Path

from django.conf import settings
from django.db import connection

from broadsheet.readership.folding import fold
from broadsheet.readership.models import HourlyViews, PageView

IP = "198.51.100.173"
TOKEN = "Qwertz/9.87"
UA = f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 {TOKEN}"


def every_stored_value():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            for row in cursor.fetchall():
                for value in row:
                    if value is not None:
                        yield table, str(value)


def test_no_address_or_user_agent_is_stored_anywhere_and_no_cookie_is_set(
        client, home, world, make_story):
    story = make_story(world, "Read privately")
    responses = []
    for page in (home, world, story):
        responses.append(client.get(page.url, HTTP_USER_AGENT=UA, REMOTE_ADDR=IP))
        responses.append(client.post(
            "/_/view", f"page={page.pk}&r=https%3A%2F%2Fsocial.example%2Fu%2F{IP}&q=%3F"
                       "utm_source%3Dfeed", content_type="application/x-www-form-urlencoded",
            HTTP_USER_AGENT=UA, REMOTE_ADDR=IP))
    responses.append(client.get(f"/_/view.gif?page={story.pk}", HTTP_USER_AGENT=UA,
                                REMOTE_ADDR="192.0.2.44", HTTP_REFERER=story.full_url))
    assert fold() == 4
    assert PageView.objects.count() == 4 and HourlyViews.objects.exists()

    assert all("Set-Cookie" not in r for r in responses), "a response set a cookie"
    assert not client.cookies

    hits = [(table, value[:80]) for table, value in every_stored_value()
            if IP in value or "192.0.2.44" in value or TOKEN in value or UA in value]
    assert hits == []
    files = [p for p in Path(settings.DATA_DIR).rglob("*") if p.is_file()]
    files += list(Path(settings.BROADSHEET_READERSHIP["JOURNAL_DIR"]).rglob("*"))
    leaked = [str(p) for p in files if p.is_file()
              and (IP.encode() in p.read_bytes() or TOKEN.encode() in p.read_bytes())]
    assert leaked == []
    # ...while what is meant to be kept is there: the referrer's domain only.
    assert set(PageView.objects.values_list("referrer", flat=True)) == {"social.example", ""}


def test_the_privacy_note_says_what_is_kept(client, home):
    html = client.get("/privacy/readership/").content.decode()
    assert "How we count readers" in html
    for fact in ("30 days", "salt", "never written anywhere", "30 minutes", "utm_source"):
        assert fact in html, fact
