"""Views are counted honestly: readers count once; crawlers, prefetches and reloads do not."""

import pytest

from broadsheet.readership.models import PageView
from broadsheet.readership.popular import most_read

BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/130.0 Safari/537.36")
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "python-requests/2.32.0",
    "",
]


def beacon(client, story, ua=BROWSER, ip="203.0.113.7", **headers):
    return client.post("/_/view", {"page": str(story.pk)}, HTTP_USER_AGENT=ua,
                       REMOTE_ADDR=ip, **headers)


@pytest.fixture
def stories(world, make_story):
    return [make_story(world, f"Story {c}") for c in "ABCDEF"]


def test_a_reader_view_counts_once_despite_reloads(client, stories):
    for _ in range(5):
        assert beacon(client, stories[0]).status_code == 204
    assert PageView.objects.filter(page_id=stories[0].pk).count() == 1


def test_different_readers_each_count(client, stories):
    for i in range(3):
        beacon(client, stories[0], ip=f"198.51.100.{i}")
    assert PageView.objects.filter(page_id=stories[0].pk).count() == 3


@pytest.mark.parametrize("ua", CRAWLERS)
def test_crawlers_do_not_count(client, stories, ua):
    beacon(client, stories[0], ua=ua)
    client.get(f"/_/view.gif?page={stories[0].pk}", HTTP_USER_AGENT=ua)
    assert PageView.objects.count() == 0


def test_prefetch_does_not_count(client, stories):
    beacon(client, stories[0], HTTP_SEC_PURPOSE="prefetch;prerender")
    beacon(client, stories[0], HTTP_PURPOSE="prefetch")
    assert PageView.objects.count() == 0


def test_noscript_pixel_counts(client, stories):
    response = client.get(f"/_/view.gif?page={stories[0].pk}", HTTP_USER_AGENT=BROWSER)
    assert response["Content-Type"] == "image/gif"
    assert PageView.objects.count() == 1


def test_views_of_drafts_or_unknown_pages_are_refused(client, world, make_story):
    draft = make_story(world, publish=False)
    assert beacon(client, draft).status_code == 400
    assert client.post("/_/view", {"page": "999999"}, HTTP_USER_AGENT=BROWSER).status_code == 400
    assert client.post("/_/view", {"page": "x"}, HTTP_USER_AGENT=BROWSER).status_code == 400
    assert PageView.objects.count() == 0


def test_crawlers_and_reloads_do_not_move_popular(client, stories):
    a, b = stories[0], stories[1]
    for i in range(3):  # three real readers for A
        beacon(client, a, ip=f"198.51.100.{i}")
    for _ in range(20):  # one reader reloading B twenty times
        beacon(client, b, ip="192.0.2.1")
    for ua in CRAWLERS * 4:  # crawlers hammering B
        beacon(client, b, ua=ua, ip="192.0.2.99")
    ranking = [s.pk for s in most_read()]
    assert ranking[:2] == [a.pk, b.pk]


def test_popular_is_top_five_from_last_day_then_week(client, stories):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = now - timedelta(days=3)
    views = []
    # Last 24 h: D has 3 views, E has 1. Older in the week: A has 10.
    views += [PageView(page_id=stories[3].pk, visitor=f"d{i}", viewed_at=now) for i in range(3)]
    views += [PageView(page_id=stories[4].pk, visitor="e0", viewed_at=now)]
    views += [PageView(page_id=stories[0].pk, visitor=f"a{i}", viewed_at=old) for i in range(10)]
    views += [PageView(page_id=stories[5].pk, visitor=f"f{i}", viewed_at=now - timedelta(days=9))
              for i in range(50)]  # outside the week: never counts
    PageView.objects.bulk_create(views)
    assert [s.pk for s in most_read()] == [stories[3].pk, stories[4].pk, stories[0].pk]


def test_article_page_reports_its_view_with_a_beacon(client, stories):
    html = client.get(stories[0].url).content.decode()
    assert f'data-page="{stories[0].pk}"' in html
    assert "/static/broadsheet/beacon" in html
    assert f"/_/view.gif?page={stories[0].pk}" in html
    assert PageView.objects.count() == 0  # rendering is not a view; the beacon is
