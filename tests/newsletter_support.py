"""Fixtures for the newsletter tests: a real SMTP server on loopback as Django's mail
server, a briefing, live stories to fill it, and confirmed readers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import Newsletter, Subscriber, Subscription
from tests.smtp_sink import SmtpSink


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        use_sink(settings, sink)
        yield sink


def use_sink(settings, sink) -> None:
    """Django's SMTP backend, sending to the sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = False


@pytest.fixture
def briefing(home):
    return Newsletter.objects.create(name="Morning briefing", slug="morning",
                                     sender_name="The Desk", sender_address="desk@news.example")


@pytest.fixture
def stories(world, make_story):
    return [make_story(world, f"Live story {i}", summary=f"What happened, part {i}.")
            for i in range(3)]


def readers(newsletter, n, *, start=0, confirmed=True):
    made = []
    for i in range(start, start + n):
        s = Subscriber.objects.create(email=f"reader{i}@example.org",
                                      confirmed_at=timezone.now() if confirmed else None)
        Subscription.objects.create(subscriber=s, newsletter=newsletter)
        made.append(s)
    return made




def send_now(newsletter, **kw):
    """Build an edition and send all of it, in this process."""
    edition = editions.build(newsletter)
    sending.schedule(edition)
    return sending.run(edition.pk, batches=None, **kw)
