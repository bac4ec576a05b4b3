"""`broadsheet retry_pictures`: fetch again the stories' pictures an import could not get.

`broadsheet serve` does this by itself when each picture's next attempt is due; this command
is for a production profile that runs the scheduler elsewhere, a cron job, or an operator who
has just mended the network (`--all`).
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand

from broadsheet.ingest.late_pictures import retry_due


class Command(BaseCommand):
    help = ("Fetch again the hero pictures of imported stories that could not be fetched at "
            "import, when their next attempt is due, and give each that arrives to its story "
            "(published again, so cached pages showing it are purged).")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", dest="everything",
                            help="Try every picture still missing now, due or not, including "
                                 "those that ran out of attempts.")

    def handle(self, *args, everything=False, **options):
        attempts = retry_due(limit=None, everything=everything)
        for attempt in attempts:
            self.stdout.write(attempt.line())
        tally = Counter(a.outcome for a in attempts)
        self.stderr.write(
            f"pictures tried {len(attempts)}: attached {tally['attached']}, waiting "
            f"{tally['waiting']}, gave up {tally['gave_up']}, not needed {tally['superseded']}"
            + (f", skipped {tally['skipped']}" if tally["skipped"] else ""))
