from __future__ import annotations

from django.db import models
from django.utils import timezone


class FanoutPurge(models.Model):
    """A purge the other hosts may not have heard yet (fanout.py).

    Written in the transaction that made the change, so a committed change always leaves
    either this row or a published message; deleted once the purge is published to Redis.
    A row still here a few seconds later is one whose host could not reach Redis (or died
    first): any host that can publishes it for it.
    """

    tags = models.JSONField(default=list, help_text="Tags to purge; empty with everything.")
    everything = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        what = "everything" if self.everything else " ".join(self.tags[:5])
        return f"purge {what} on every host"
