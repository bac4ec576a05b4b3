"""Fixtures and helpers shared by the test_comments_* files: readers, a moderator, a story."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

_n = itertools.count(1)


@pytest.fixture
def make_reader(db, django_user_model):
    def make(name: str | None = None, *, display: str | None = None):
        n = next(_n)
        name = name or f"reader{n}"
        user = django_user_model.objects.create_user(
            username=f"{name}@example.org", email=f"{name}@example.org",
            password="a-long-pass-123")
        if display:
            from broadsheet.comments.models import ReaderProfile

            ReaderProfile.objects.create(user=user, display_name=display)
        return user
    return make


@pytest.fixture
def moderator(db, django_user_model):
    user = django_user_model.objects.create_user(
        username="mod@example.org", email="mod@example.org", password="a-long-pass-123")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def story(world, make_story):
    return make_story(world, "The river story")


def post(client, story, body, **extra):
    return client.post(f"/discussion/{story.pk}/post/", {"body": body, **extra})


@pytest.fixture
def wsgi_app(db):
    """The page cache in front of Django, as `broadsheet serve` runs it."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from broadsheet.pagecache.wsgi import wrap

    # As Django's test client does: a request ending must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield wrap(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (purges, e-mails) as the commit would."""
    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()
    return run


@pytest.fixture
def rules(home):
    """The site's comment rules, saved with what a test sets."""
    from broadsheet.comments.models import CommentRules

    def set_rules(**values):
        current = CommentRules.for_site(home.get_site())
        for k, v in values.items():
            setattr(current, k, v)
        current.save()
        return current
    return set_rules
