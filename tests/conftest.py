"""Shared fixtures: a real database (SQLite or PostgreSQL, per DATABASE_URL), real pages."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from broadsheet.pagecache.wsgi import wrap

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API keeps an event loop running in the test thread; Django's guard against
# sync DB calls in async code would then refuse the test's own database work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_counter = itertools.count(1)

# Fixtures of the comments tests (readers, a moderator, the rules), the newsletter tests (an
# SMTP server), a wire's picture server and an S3-compatible store (SeaweedFS) for media.
pytest_plugins = ["tests.comments_support", "tests.engines", "tests.newsletter_support",
                  "tests.picture_server", "tests.s3_server"]


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """Debian's Chromium through Playwright, one for the whole test process: Playwright's sync
    API allows one running instance a thread, so every test that drives a browser shares it.

    The test database is made first (django_db_setup), even for tests that do not use it. In
    an xdist worker whose first tests drove the browser without the database (the front page
    and serve tests), the database was then made while Playwright's event loop ran, and every
    second serialized_rollback test in that worker failed to restore the saved contents
    (UNIQUE constraint on django_content_type); made first, it does not."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()
    from broadsheet.pagecache.store import purge_all

    purge_all()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_readership(settings, tmp_path):
    """Each test journals views into its own directory, and no process memory of pages,
    salts or recent views leaks from one test's (rolled-back) database into the next."""
    from broadsheet.readership.folding import reset_memory

    settings.BROADSHEET_READERSHIP = {**settings.BROADSHEET_READERSHIP,
                                      "JOURNAL_DIR": tmp_path / "views"}
    reset_memory()
    yield
    reset_memory()


@pytest.fixture(autouse=True)
def _fresh_rate_counts(settings, tmp_path):
    """Rate limits count from zero in each test: in its own directory when they count in
    files, else in the cache cleared above."""
    if settings.BROADSHEET_COMMENTS["RATE_COUNTER_DIR"] is not None:
        settings.BROADSHEET_COMMENTS = {**settings.BROADSHEET_COMMENTS,
                                        "RATE_COUNTER_DIR": tmp_path / "ratelimits"}


@pytest.fixture
def home(db):
    from broadsheet.frontpage.models import HomePage
    from broadsheet.frontpage.setup import ensure_home

    ensure_home()
    return HomePage.objects.get()


@pytest.fixture
def make_section(home):
    from broadsheet.sections.models import SectionPage

    def make(title: str = "World", parent=None, **fields):
        parent = parent or home
        parent.refresh_from_db()
        section = parent.add_child(instance=SectionPage(
            title=title, slug=f"{title.lower().replace(' ', '-')}", **fields))
        section.save_revision().publish()
        return section

    return make


@pytest.fixture
def make_story(db):
    from broadsheet.articles.models import ArticlePage

    def make(section, title: str | None = None, *, publish: bool = True, tags=(), **fields):
        n = next(_counter)
        title = title or f"Story number {n}"
        fields.setdefault("dek", f"The dek of story {n}.")
        fields.setdefault("body", [("paragraph", f"<p>Body of story {n}.</p>")])
        section.refresh_from_db()
        story = section.add_child(instance=ArticlePage(
            title=title, slug=f"story-{n}", live=publish, **fields))
        if tags:
            story.tags.add(*tags)
        revision = story.save_revision()
        if publish:
            revision.publish()
            story.refresh_from_db()
        return story

    return make


@pytest.fixture
def world(make_section):
    return make_section("World")


@pytest.fixture
def reader(db, django_user_model):
    return django_user_model.objects.create_user(
        username="reader@example.org", email="reader@example.org", password="a-long-pass-123")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def app(db):
    """The page cache in front of Django, as `broadsheet serve` runs it (tests/test_pagecache's
    fetch helpers send requests through it)."""
    # As Django's test client does: a request ending must not close the test's connection,
    # which holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield wrap(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
