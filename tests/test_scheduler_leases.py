"""The scheduler's leases: one leader for the site, one folder per host, kept while alive."""

from datetime import timedelta

from django.utils import timezone

from broadsheet.publishing.models import SchedulerLease
from broadsheet.publishing.scheduler import keep, take_lease


def test_the_scheduler_keeps_only_the_leases_it_still_holds(db):
    """Renewed beside the ticks: a long tick keeps its lease; a lease another process has
    taken, or one that ran out, is not taken back by renewing."""
    now = timezone.now()
    assert take_lease("me", ttl_seconds=3, now=now)
    assert take_lease("me", ttl_seconds=3, now=now, name="host:abc")
    SchedulerLease.objects.create(name="host:other", holder="someone else",
                                  expires_at=now + timedelta(seconds=3))
    later = now + timedelta(seconds=2)
    assert keep("me", ttl_seconds=3, now=later) == 2
    assert not take_lease("another", ttl_seconds=3, now=now + timedelta(seconds=4))
    assert SchedulerLease.objects.get(name="host:other").holder == "someone else"
    gone = now + timedelta(seconds=10)  # "me" died: nothing renewed since
    assert keep("me", ttl_seconds=3, now=gone) == 0
    assert take_lease("another", ttl_seconds=3, now=gone)
