"""Which task workers are alive: each writes its heartbeat every few seconds."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A task's row says which worker claimed it; this says whether that worker still lives.
    A running task whose worker has not been seen for a while was lost with it (SIGKILL, a
    host gone) and is put back in the queue (workers/worker.py)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.worker_id
