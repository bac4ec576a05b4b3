"""Bad parameters get 400 (or 404 for an address that cannot exist), never a 500: page
numbers that are not numbers, times off the calendar, ids too large for the database, and a
beacon whose page address has too many query fields. The beacon checks the Host like every
other path."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from broadsheet.readership.folding import fold
from broadsheet.readership.models import PageView
from broadsheet.readership.wsgi import wrap as beacon_layer

HUGE = "1234567890123456789012345"


@pytest.fixture
def story(world, make_story):
    return make_story(world, "Parameters")


@pytest.mark.parametrize("query", [
    "page=abc", "page=0", f"page={HUGE}",
    "since=" + quote("9999-12-31T23:59:59-23:59"), "since=" + quote("0001-01-01T00:00:00+14:00"),
    "since=" + quote("2025-13-45T00:00:00Z"),
])
def test_ninjs_collection_refuses_bad_parameters_with_400(client, story, query):
    response = client.get(f"/ninjs/stories.json?{query}")
    assert response.status_code == 400
    if query.startswith("since"):
        assert response.content.startswith(b"since: give a date and time with a time zone")


@pytest.mark.parametrize("path", [
    f"/ninjs/stories/{HUGE}.json", "/ninjs/stories/9223372036854775808.json",
    f"/discussion/{HUGE}/", f"/comments/{HUGE}/reply/",
])
def test_ids_too_large_for_the_database_are_not_found(client, story, reader, path):
    client.force_login(reader)
    assert client.get(path).status_code == 404


def test_comment_queue_filters_with_ids_too_large_are_400(admin_client, story):
    for name in ("story", "author"):
        response = admin_client.get(f"/admin/comments/queue/?{name}={HUGE}")
        assert response.status_code == 400
    assert admin_client.get(f"/admin/comments/queue/?story={story.pk}").status_code == 200


def test_a_beacon_from_a_page_with_many_query_fields_still_counts(client, story):
    page_query = quote("&".join(f"f{i}=1" for i in range(60)) + "&utm_source=news", safe="")
    response = client.post("/_/view", f"page={story.pk}&q={page_query}",
                           content_type="application/x-www-form-urlencoded",
                           HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0")
    assert response.status_code == 204
    fold()
    assert PageView.objects.filter(page=story).count() == 1


def _beacon(environ_host: str, story_id: int):
    reached_django = []

    def django(environ, start_response):
        reached_django.append(environ)
        start_response("404 Not Found", [])
        return [b""]

    body = f"page={story_id}".encode()
    import io

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/_/view", "HTTP_HOST": environ_host,
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "Mozilla/5.0 Chrome/130.0"}
    answer = {}

    def start_response(status, headers):
        answer["status"] = status

    beacon_layer(django)(environ, start_response)
    return answer["status"], reached_django


def test_the_beacon_honours_allowed_hosts(settings, story):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    status, _ = _beacon("evil.example", story.pk)
    assert status.startswith("400")
    status, _ = _beacon("news.example.org:443", story.pk)
    assert status.startswith("204")
    fold()
    assert PageView.objects.filter(page=story).count() == 1
