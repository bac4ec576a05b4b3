"""`broadsheet edge vcl --backend HOST:PORT ...`: the reference Varnish configuration.
`broadsheet edge check`: purge a test tag at every configured cache and report each answer.
`broadsheet edge deliver`: send the purges still waiting (the scheduler does it every second).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from broadsheet.edge import vcl
from broadsheet.edge.backends import EdgeError, backend_for
from broadsheet.edge.models import PendingPurge
from broadsheet.edge.outbox import deliver

CHECK_TAG = "broadsheet-edge-check"


def host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--backend {value!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "The caches in front: print the Varnish configuration, check purges, deliver them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        printing = sub.add_parser("vcl", help="print a VCL for Varnish 7 with xkey")
        printing.add_argument("--backend", action="append", required=True,
                              help="HOST:PORT of a `broadsheet serve` (repeat for several)")
        printing.add_argument("--purger", action="append",
                              help="an address allowed to purge (default: loopback)")
        sub.add_parser("check", help="purge a test tag at every cache in BROADSHEET_EDGE")
        sub.add_parser("deliver", help="send the purges still waiting")

    def handle(self, *args, action, **options):
        if action == "vcl":
            backends = [host_port(b) for b in options["backend"]]
            purgers = options["purger"] or ["127.0.0.1", "::1"]
            command = "broadsheet edge vcl " + " ".join(
                [f"--backend {h}:{p}" for h, p in backends]
                + [f"--purger {p}" for p in options["purger"] or []])
            self.stdout.write(vcl.render(backends, purgers, command), ending="")
        elif action == "check":
            self.check_edges()
        else:
            sent = deliver()
            waiting = PendingPurge.objects.count()
            self.stdout.write(f"{sent} purges delivered, {waiting} waiting")
            if waiting:
                sys.exit(1)

    def check_edges(self):
        if not settings.BROADSHEET_EDGE:
            raise CommandError("BROADSHEET_EDGE is empty: no cache in front to check")
        failed = 0
        for url in settings.BROADSHEET_EDGE:
            try:
                answer = backend_for(url).check(CHECK_TAG)
            except EdgeError as exc:
                failed += 1
                self.stdout.write(f"{url}: FAILED: {exc}")
            else:
                self.stdout.write(f"{url}: purge accepted: {answer}")
        waiting = PendingPurge.objects.count()
        if waiting:
            oldest = PendingPurge.objects.order_by("created_at").first()
            self.stdout.write(f"{waiting} purges waiting, the oldest since "
                              f"{oldest.created_at:%Y-%m-%d %H:%M:%S}: {oldest.last_error}")
        if failed:
            raise CommandError(f"{failed} of {len(settings.BROADSHEET_EDGE)} caches refused")
