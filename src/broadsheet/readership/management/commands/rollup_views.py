"""`broadsheet rollup_views`: fold acknowledged views into the database, then delete view
records past the retention period (what `broadsheet serve` does every second by itself)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from broadsheet.readership.folding import fold, rebuild_counts
from broadsheet.readership.rollup import clean_up


class Command(BaseCommand):
    help = "Fold journalled views into hourly counts and Popular; prune old view records."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, metavar="SECONDS",
                            help="keep folding every SECONDS (a separate process when the "
                                 "in-server scheduler is off)")
        parser.add_argument("--rebuild", action="store_true",
                            help="first recompute hourly counts and Popular scores from the "
                                 "retained view records (after an upgrade, or views written "
                                 "directly)")

    def handle(self, *args, loop, rebuild, **options):
        if rebuild:
            hours = rebuild_counts()
            self.stdout.write(f"rebuilt the counts of {hours} hours from view records")
        while True:
            counted = fold()
            result = clean_up()
            if options["verbosity"] and not loop:
                self.stdout.write(f"folded {counted} views; deleted {result['views_deleted']} "
                                  f"view records past retention")
            if not loop:
                return
            time.sleep(loop)
