"""Views are counted honestly: readers count once; crawlers, prefetches and reloads do not."""

import pytest

from broadsheet.readership.folding import fold
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
    response = client.post("/_/view", {"page": str(story.pk)}, HTTP_USER_AGENT=ua,
                           REMOTE_ADDR=ip, **headers)
    fold()  # what `broadsheet serve` does every second
    return response


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
    fold()
    assert PageView.objects.count() == 0


def test_prefetch_does_not_count(client, stories):
    beacon(client, stories[0], HTTP_SEC_PURPOSE="prefetch;prerender")
    beacon(client, stories[0], HTTP_PURPOSE="prefetch")
    assert PageView.objects.count() == 0


def test_noscript_pixel_counts(client, stories):
    response = client.get(f"/_/view.gif?page={stories[0].pk}", HTTP_USER_AGENT=BROWSER)
    assert response["Content-Type"] == "image/gif"
    fold()
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


def test_popular_decays_older_views_by_the_half_life(stories):
    """Score = sum of 2 ** -(age / 6 h) over unique views: 10 views 12 h ago weigh 2.5, less
    than 3 views now; 50 views two days ago weigh 50 / 256."""
    import time

    from broadsheet.readership.counting import View
    from broadsheet.readership.journal import record

    now_ms = int(time.time() * 1000)
    hour = 3_600_000
    for i in range(3):
        record(View(now_ms, stories[3].pk, f"d{i}"))
    record(View(now_ms, stories[4].pk, "e0"))
    for i in range(10):
        record(View(now_ms - 12 * hour, stories[0].pk, f"a{i}"))
    for i in range(50):
        record(View(now_ms - 48 * hour, stories[5].pk, f"f{i}"))
    fold()
    assert [s.pk for s in most_read()] == [stories[3].pk, stories[0].pk, stories[4].pk,
                                            stories[5].pk]


def test_article_page_reports_its_view_with_a_beacon(client, stories):
    html = client.get(stories[0].url).content.decode()
    assert f'data-page="{stories[0].pk}"' in html
    assert "/static/broadsheet/beacon" in html
    assert f"/_/view.gif?page={stories[0].pk}" in html
    assert PageView.objects.count() == 0  # rendering is not a view; the beacon is
