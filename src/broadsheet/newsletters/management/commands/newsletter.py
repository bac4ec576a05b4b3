"""`broadsheet newsletter list`: the newsletters, their readers and last sends.
`broadsheet newsletter send SLUG [--test ADDRESS]`: build an edition and send it now, with
progress and the figures at the end (--test: to that one address only, the list untouched).
`broadsheet newsletter resume`: go on with sends whose runner was stopped (the scheduler does
it by itself once the runner's lease lapses).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db.models import Count, Q

from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import Edition, Newsletter
from broadsheet.progress import Progress


def figures(edition: Edition) -> str:
    return (f"recipients {edition.recipients}, sent {edition.sent}, deferred "
            f"{edition.deferred}, bounced {edition.bounced}, complained {edition.complained}")


class Command(BaseCommand):
    help = "Newsletters: list them, send one now (or a test), resume stopped sends."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the newsletters, their subscribers and last send")
        send = sub.add_parser("send", help="build an edition now and send it")
        send.add_argument("slug")
        send.add_argument("--test", metavar="ADDRESS",
                          help="send only to this address (the list and figures untouched)")
        send.add_argument("--subject", default="", help="instead of the usual subject")
        sub.add_parser("resume", help="go on with sends whose runner stopped")

    def handle(self, *args, action, **options):
        if action == "list":
            self.list()
        elif action == "send":
            self.send(options["slug"], options["test"], options["subject"])
        else:
            for edition_id in sending.due():
                self.run(Edition.objects.get(pk=edition_id))

    def list(self):
        rows = Newsletter.objects.annotate(
            readers=Count("subscriptions", filter=Q(
                subscriptions__subscriber__confirmed_at__isnull=False))).order_by("slug")
        for n in rows:
            last = n.editions.filter(status=Edition.Status.SENT).order_by("-started_at").first()
            when = f"last sent {last.started_at:%Y-%m-%d %H:%M}" if last else "never sent"
            schedule = f"daily at {n.send_daily_at:%H:%M}" if n.send_daily_at else "by hand"
            state = "" if n.active else " (inactive)"
            self.stdout.write(f"{n.slug}\t{n.name}{state}\t{n.get_kind_display()}\t"
                              f"{n.readers} readers\t{schedule}\t{when}")

    def send(self, slug, test, subject):
        newsletter = Newsletter.objects.filter(slug=slug).first()
        if newsletter is None:
            known = ", ".join(Newsletter.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"no newsletter {slug!r} (there are: {known})")
        if newsletter.kind == Newsletter.Kind.ALERT:
            raise CommandError(f"{slug} is an alert: send it from the story's page in the "
                               "admin, which names the story")
        if test:
            try:
                validate_email(test)
            except Exception as e:
                raise CommandError(f"--test {test!r} is not an e-mail address") from e
        try:
            edition = editions.build(newsletter, subject=subject)
        except editions.NothingToSend as nothing:
            raise CommandError(f"{slug}: nothing to send: {nothing}") from nothing
        if test:
            sending.send_test(edition, test)
            edition.delete()
            self.stdout.write(f"test of {slug} sent to {test}")
            return
        sending.schedule(edition)
        self.run(edition)

    def run(self, edition):
        raw = self.stdout._out
        progress = Progress(raw, tty=raw.isatty())
        last = [0]

        def show(e):
            progress.advance(e.done - last[0], fraction=e.done / e.recipients
                             if e.recipients else 1)
            last[0] = e.done

        result = sending.run(edition.pk, batches=None, progress=show)
        progress.finish()
        if result is None:
            raise CommandError(f"edition {edition.pk} is being sent by another runner")
        self.stdout.write(f"{result}: {figures(result)}")
        if result.status == Edition.Status.SENT:
            return
        if result.runner and result.runner != sending.runner_name():
            self.stdout.write(f"stopped: {result.runner} took the send over and goes on")
        else:
            self.stdout.write(f"{result.deferred} deferred: the scheduler tries them again")
        sys.exit(1)
