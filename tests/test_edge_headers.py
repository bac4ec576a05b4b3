"""What an HTTP cache in front is told (edge/headers.py): which responses it may share, for
how long, and what each shows, in the tag header of each configured cache."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.edge import headers as edge
from tests.test_pagecache import fetch

pytestmark = pytest.mark.django_db

ALL_EDGES = ["varnish://127.0.0.1:6081", "fastly://service", "cloudflare://zone",
             "akamai://host", "bunny://zone"]


@pytest.fixture
def edges(settings):
    settings.BROADSHEET_EDGE = ALL_EDGES


def directives(response) -> dict:
    out = {}
    for part in response["Cache-Control"].split(","):
        name, _, value = part.strip().partition("=")
        out[name] = value
    return out


def test_a_story_page_may_be_shared_and_names_what_it_shows(client, world, make_story, edges,
                                                            settings):
    story = make_story(world, "Shared at the edge")
    response = client.get(story.url)
    cc = directives(response)
    assert "public" in cc and "private" not in cc
    assert int(cc["max-age"]) == settings.BROADSHEET_EDGE_CACHE["BROWSER_MAX_AGE"]
    # The page shows Popular, so a shared cache keeps it no longer than Popular's clock.
    assert 0 < int(cc["s-maxage"]) <= settings.BROADSHEET_PAGECACHE["MAX_AGE"]
    assert int(cc["stale-while-revalidate"]) > 0 and int(cc["stale-if-error"]) > 0
    shown = {f"page:{story.pk}", f"page:{world.pk}", "spotlight"}
    assert shown <= set(response["xkey"].split(" "))
    assert shown <= set(response["Surrogate-Key"].split(" "))
    for name in ("Cache-Tag", "Edge-Cache-Tag", "CDN-Tag"):
        assert shown <= set(response[name].split(",")), name


def test_without_an_edge_no_tag_header_is_sent(client, world, make_story):
    response = client.get(make_story(world).url)
    assert "public" in response["Cache-Control"]
    for header in edge.TAG_HEADERS.values():
        assert header.name not in response


def test_only_the_configured_caches_headers_are_sent(client, world, make_story, settings):
    settings.BROADSHEET_EDGE = ["varnish://127.0.0.1:6081"]
    response = client.get(make_story(world).url)
    assert "xkey" in response and "Surrogate-Key" not in response and "Cache-Tag" not in response


def test_a_signed_in_readers_page_is_private_and_untagged(client, world, make_story, reader,
                                                          edges):
    story = make_story(world)
    client.force_login(reader)
    response = client.get(story.url)
    assert response["Cache-Control"] == "private, no-store"
    for header in edge.TAG_HEADERS.values():
        assert header.name not in response


def test_a_page_setting_a_cookie_is_private(client, home, edges):
    response = client.get("/accounts/login/")  # a form with a CSRF token: its cookie is set
    assert response.status_code == 200 and response.cookies
    assert response["Cache-Control"] == "private, no-store"
    assert "xkey" not in response


def test_a_page_cache_hit_carries_the_same_headers(wsgi_app, world, make_story, edges):
    story = make_story(world)
    _, first, _ = fetch(wsgi_app, story.url)
    _, second, _ = fetch(wsgi_app, story.url)
    assert second["X-Page-Cache"] == "hit"
    for name in ("Cache-Control", "xkey", "Surrogate-Key", "Cache-Tag"):
        assert second[name] == first[name], name


@given(st.sets(st.integers(min_value=1, max_value=200_000), min_size=1, max_size=4000))
def test_folded_tags_fit_and_every_story_purge_reaches_them(ids):
    tags = {f"page:{i}" for i in ids} | {"stories", "spotlight"}
    for header in edge.TAG_HEADERS.values():
        carried = edge.fold(tags, header)
        assert edge._fits(carried, header)
        # Purging any one story the page shows purges something the page carries.
        for i in list(ids)[:20]:
            assert edge.edge_purge_tags({f"page:{i}"}) & set(carried)
    small = {"page:1", "page:2", "stories"}
    assert edge.fold(small, edge.TAG_HEADERS["akamai"]) == sorted(small)


def test_a_page_a_purge_overtook_while_rendering_is_kept_a_second_at_most(settings, rf, world):
    settings.BROADSHEET_EDGE = ["varnish://127.0.0.1:6081"]
    from django.http import HttpResponse

    from broadsheet.pagecache import store
    from broadsheet.pagecache.middleware import PageCacheMiddleware

    def render(purged_meanwhile: bool):
        def view(request):
            request.pagecache_tags = {f"page:{world.pk}"}
            if purged_meanwhile:  # an editor's change commits while the page renders
                store.purge_tags({"page:1"})
            return HttpResponse("<p>" + "the page " * 200 + "</p>")
        return PageCacheMiddleware(view)(rf.get(world.url))

    shared = render(False)
    assert "public" in shared["Cache-Control"] and shared["xkey"]
    overtaken = render(True)
    cc = directives(overtaken)
    assert cc["s-maxage"] == "1" and cc["max-age"] == "0" and cc["stale-while-revalidate"] == "0"
    assert overtaken["xkey"] == shared["xkey"]  # a later purge still finds it
