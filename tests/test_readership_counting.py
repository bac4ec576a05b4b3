"""What a counted view keeps: referrer domain, campaign tags, device class; Do Not Track
when the site asks for it; every page type counts; the beacon costs no query."""

import pytest

from broadsheet.readership.counting import forget_settings
from broadsheet.readership.folding import fold
from broadsheet.readership.models import PageView, ReadershipSettings

DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/130.0 Safari/537.36")
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
TABLET = ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.5 Safari/604.1")


def send(client, page, *, ua=DESKTOP, ip="203.0.113.9", **fields):
    """What beacon.js sends: a form-encoded page id, referrer (r) and query string (q)."""
    body = "&".join([f"page={page.pk}"] + [f"{k}={v}" for k, v in fields.items()])
    response = client.post("/_/view", body, content_type="application/x-www-form-urlencoded",
                           HTTP_USER_AGENT=ua, REMOTE_ADDR=ip)
    fold()
    return response


@pytest.fixture
def story(world, make_story):
    return make_story(world, "Counted")


def test_referrer_is_kept_as_its_domain_only(client, story):
    send(client, story, r="https%3A%2F%2Fwww.News.Example.org%2Fdeep%2Fpath%3Fuser%3D42")
    send(client, story, ip="198.51.100.2", r="http%3A%2F%2Ftestserver%2Fworld%2F")
    send(client, story, ip="198.51.100.3")
    assert sorted(PageView.objects.values_list("referrer", flat=True)) == [
        "", "", "news.example.org"]  # own site and direct visits have none


def test_campaign_tags_come_from_the_page_query(client, story):
    send(client, story, q="%3Futm_source%3DNewsletter%26utm_medium%3Demail%26utm_campaign%3D"
                          "Friday%26email%3Dada%40example.org")
    view = PageView.objects.get()
    assert (view.utm_source, view.utm_medium, view.utm_campaign) == (
        "newsletter", "email", "friday")
    # Other parameters are dropped. (Not a search for "ada": the visitor hash is hex and
    # contains it by chance one time in a hundred.)
    stored = str(PageView.objects.values().get())
    assert "example.org" not in stored and "email=" not in stored


@pytest.mark.parametrize(("ua", "device"), [(DESKTOP, "desktop"), (PHONE, "mobile"),
                                            (TABLET, "tablet")])
def test_device_class_comes_from_the_user_agent(client, story, ua, device):
    send(client, story, ua=ua)
    assert PageView.objects.get().device == device


def test_do_not_track_is_counted_unless_the_site_honours_it(client, story):
    client.post("/_/view", f"page={story.pk}", content_type="application/x-www-form-urlencoded",
                HTTP_USER_AGENT=DESKTOP, HTTP_DNT="1")
    fold()
    assert PageView.objects.count() == 1
    ReadershipSettings.objects.update_or_create(defaults={"honour_do_not_track": True})
    forget_settings()
    for n, header in enumerate(({"HTTP_DNT": "1"}, {"HTTP_SEC_GPC": "1"})):
        response = client.post("/_/view", f"page={story.pk}", REMOTE_ADDR=f"192.0.2.{n}",
                               content_type="application/x-www-form-urlencoded",
                               HTTP_USER_AGENT=DESKTOP, **header)
        assert response.status_code == 204
    send(client, story, ip="192.0.2.50")  # no header: still counted
    assert PageView.objects.count() == 2


def test_every_page_type_reports_its_view(client, home, world, story):
    for page in (home, world, story):
        html = client.get(page.url).content.decode()
        assert f'<body data-page="{page.pk}"' in html
        assert f"/_/view.gif?page={page.pk}" in html
        send(client, page)
    assert set(PageView.objects.values_list("page_id", flat=True)) == {home.pk, world.pk,
                                                                       story.pk}


def test_the_beacon_costs_no_query_once_warm(client, story, django_assert_num_queries):
    send(client, story)  # loads the set of countable pages and today's salt
    with django_assert_num_queries(0):
        response = client.post("/_/view", f"page={story.pk}", REMOTE_ADDR="192.0.2.77",
                               content_type="application/x-www-form-urlencoded",
                               HTTP_USER_AGENT=DESKTOP)
    assert response.status_code == 204
    assert "Set-Cookie" not in response


def test_bad_beacons_are_refused_and_change_nothing(client, story):
    assert client.post("/_/view", "", content_type="application/x-www-form-urlencoded",
                       HTTP_USER_AGENT=DESKTOP).status_code == 400
    assert client.post("/_/view", "page=" + "9" * 30,
                       content_type="application/x-www-form-urlencoded",
                       HTTP_USER_AGENT=DESKTOP).status_code == 400
    assert client.post("/_/view", "page=1&r=" + "x" * 5000,
                       content_type="application/x-www-form-urlencoded",
                       HTTP_USER_AGENT=DESKTOP).status_code == 413
    assert client.get("/_/view", HTTP_USER_AGENT=DESKTOP).status_code == 405
    fold()
    assert PageView.objects.count() == 0


def test_the_pixel_keeps_campaign_tags_of_the_page_it_is_on(client, story):
    client.get(f"/_/view.gif?page={story.pk}", HTTP_USER_AGENT=PHONE,
               HTTP_REFERER=f"http://testserver{story.url}?utm_source=social")
    fold()
    view = PageView.objects.get()
    assert (view.utm_source, view.device, view.referrer) == ("social", "mobile", "")
