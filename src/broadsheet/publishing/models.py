"""State for publishing on time: which server process currently runs the scheduler."""

from django.db import models


class SchedulerLease(models.Model):
    """A lease held by one process at a time, renewed while it lives. If the holder dies, the
    lease runs out and another process takes over: one scheduler, never two, no crontab."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
