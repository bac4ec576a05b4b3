"""`broadsheet worker`: run background tasks (purges, picture fetches, search index updates,
e-mails) from the database queue, on any host. Start as many as the work needs."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from broadsheet.workers.worker import BroadsheetWorker, new_worker_id, uses_database_queue


class Command(BaseCommand):
    help = "Run background tasks from the database queue until stopped (SIGTERM: gracefully)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="Run what is due now, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None,
                            help="Exit after this many tasks (a fresh process then takes over).")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between looks at an empty queue (default 1).")

    def handle(self, *args, batch=False, max_tasks=None, interval=1.0, **options):
        if not uses_database_queue():
            raise CommandError(
                "background tasks run in the server here (BROADSHEET_TASKS="
                f"{settings.BROADSHEET_WORKERS['QUEUE']}): set BROADSHEET_TASKS=database for "
                "`broadsheet worker` to have a queue to work from")
        if max_tasks is not None and max_tasks < 1:
            raise CommandError("--max-tasks must be 1 or more")
        worker = BroadsheetWorker(worker_id=new_worker_id(), interval=interval, batch=batch,
                                  max_tasks=max_tasks)
        worker.configure_signals()
        self.stdout.write(f"worker {worker.worker_id} running tasks")
        worker.run()
