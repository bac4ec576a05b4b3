"""`broadsheet newsletter_bounces --mbox PATH` (or `--maildir PATH`): read the bounces that
came back by mail to the sender address (sending through plain SMTP) and suppress the
addresses that failed for good. Safe to run again on the same mailbox, e.g. from cron."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.newsletters.bounce_mail import record_mailbox


class Command(BaseCommand):
    help = "Newsletters: suppress hard-bounced addresses from a mailbox of bounce reports."

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--mbox", type=Path, metavar="PATH", help="an mbox file")
        where.add_argument("--maildir", type=Path, metavar="PATH", help="a Maildir directory")

    def handle(self, *args, mbox=None, maildir=None, **options):
        mbox, maildir = (Path(p) if p else None for p in (mbox, maildir))
        path = mbox or maildir
        if mbox and not mbox.is_file():
            raise CommandError(f"no mbox file at {mbox}")
        if maildir and not (maildir / "cur").is_dir():
            raise CommandError(f"no Maildir at {maildir} (it has no cur/ directory)")
        counts = record_mailbox(path)
        self.stdout.write(
            f"{path}: {counts['bounce']} hard bounces suppressed, {counts['soft']} temporary "
            f"failures left alone, {counts['other'] + counts['ignored']} other messages")
