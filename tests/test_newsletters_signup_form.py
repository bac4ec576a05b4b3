"""The compact newsletter sign-up form on story, section and account pages (issue 18): the
active newsletters, posting to the sign-up view, on pages the page cache still shares, kept in
a fragment, purged when a newsletter changes, and (almost) free in queries."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from broadsheet.newsletters.models import Newsletter, SignupRequest
from broadsheet.pagecache import store
from tests.test_pagecache import fetch

FORM = re.compile(r'<form method="post" action="/newsletters/signup/" class="signup-form">'
                  r'(.*?)</form>', re.S)


@pytest.fixture(autouse=True)
def _fragments_on(settings):
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "FRAGMENTS": True}


@pytest.fixture
def story(world, make_story):
    return make_story(world, "The harbour story")


@pytest.fixture
def briefing(home):
    return Newsletter.objects.create(name="Morning briefing", slug="morning",
                                     description="The day's stories before nine.")


@pytest.fixture
def alerts(home):
    return Newsletter.objects.create(name="Breaking alerts", slug="alerts", kind="alert")


def signup_form(html: str) -> str | None:
    found = FORM.search(html)
    return found[1] if found else None


def test_story_and_section_pages_offer_every_active_newsletter(client, story, world, briefing,
                                                               alerts):
    Newsletter.objects.create(name="Retired digest", slug="retired", active=False)
    for url in (story.url, world.url):
        response = client.get(url)
        form = signup_form(response.content.decode())
        assert form is not None, url
        assert "<legend>Choose your newsletters</legend>" in form
        assert re.findall(r'type="checkbox" name="newsletters" value="(\d+)"', form) == [
            str(alerts.pk), str(briefing.pk)]
        assert '<label for="signup-email">Your e-mail address</label>' in form
        assert "Retired digest" not in form
        # Shared by the page cache: no token, so no cookie.
        assert "csrfmiddlewaretoken" not in form and not response.cookies


def test_one_newsletter_is_chosen_for_the_reader(client, story, briefing):
    form = signup_form(client.get(story.url).content.decode())
    assert f'<input type="hidden" name="newsletters" value="{briefing.pk}">' in form
    assert "checkbox" not in form and "Morning briefing" in form


def test_no_form_without_an_active_newsletter(client, story, world):
    Newsletter.objects.create(name="Retired digest", slug="retired", active=False)
    for url in (story.url, world.url):
        assert 'class="newsletter-signup"' not in client.get(url).content.decode()


def test_signing_up_from_a_story_page_without_javascript(story, briefing, alerts):
    reader = Client(enforce_csrf_checks=True)
    form = signup_form(reader.get(story.url).content.decode())
    assert form is not None
    answer = reader.post("/newsletters/signup/", {"email": "ada@example.org",
                                                  "newsletters": [alerts.pk]})
    assert answer.status_code == 200 and b"Check your inbox" in answer.content
    assert list(SignupRequest.objects.get().newsletters.all()) == [alerts]
    assert mail.outbox[0].to == ["ada@example.org"]


def test_a_signed_in_reader_gets_their_token_and_their_account_linked(story, world, briefing,
                                                                       reader):
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(reader)
    for url in (story.url, world.url, story.url):  # the last from the kept fragment
        form = signup_form(signed_in.get(url).content.decode())
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        assert token != "broadsheet-fragment-csrf-token"
    signed_in.post("/newsletters/signup/", {"email": reader.email,
                                            "newsletters": [briefing.pk],
                                            "csrfmiddlewaretoken": token})
    assert SignupRequest.objects.get().user == reader


def test_the_account_page_offers_the_form_with_the_readers_address(client, briefing, alerts,
                                                                   reader):
    client.force_login(reader)
    form = signup_form(client.get("/accounts/you/").content.decode())
    assert 'value="reader@example.org"' in form and "csrfmiddlewaretoken" in form
    assert "<legend>Choose your newsletters</legend>" in form


def test_a_newsletter_change_reaches_cached_pages(app, story, world, briefing, committed):
    for url in (story.url, world.url):
        fetch(app, url)
        status, headers, html = fetch(app, url)
        assert headers["X-Page-Cache"] == "hit" and "Morning briefing" in signup_form(html)

    committed(lambda: Newsletter.objects.create(name="Breaking alerts", slug="alerts"))
    for url in (story.url, world.url):
        status, headers, html = fetch(app, url)
        assert headers["X-Page-Cache"] == "miss" and "Breaking alerts" in signup_form(html)

    def retire_all():
        Newsletter.objects.update(active=False)  # no signal: as an editor would, one by one
        for newsletter in Newsletter.objects.all():
            newsletter.save()
    committed(retire_all)
    for url in (story.url, world.url):
        assert 'class="newsletter-signup"' not in fetch(app, url)[2]


def _newsletter_queries(client, url, *, fragments_kept: bool) -> int:
    client.get(url)
    if not fragments_kept:
        store.purge_all()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum("newsletters_" in q["sql"] for q in ctx.captured_queries)


def test_the_form_costs_one_query_and_none_from_its_fragment(client, story, world, briefing,
                                                            alerts):
    for url in (story.url, world.url):
        assert _newsletter_queries(client, url, fragments_kept=False) == 1, url
        assert _newsletter_queries(client, url, fragments_kept=True) == 0, url
