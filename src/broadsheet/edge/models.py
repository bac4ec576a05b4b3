from __future__ import annotations

from django.db import models
from django.utils import timezone


class PendingPurge(models.Model):
    """A purge one HTTP cache in front has not confirmed yet.

    Written in the transaction that made the change (outbox.py), so a purge commits with its
    change or not at all, and survives a crash or a cache that is down: it is deleted only
    once the cache has answered, and tried again, less and less often, until then.
    """

    edge = models.CharField(max_length=300, help_text="The cache, as in BROADSHEET_EDGE.")
    tags = models.JSONField(default=list, help_text="Tags to purge; empty with everything.")
    everything = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="edge_purge_due")]

    def __str__(self) -> str:
        what = "everything" if self.everything else " ".join(self.tags[:5])
        return f"purge {what} at {self.edge}"
