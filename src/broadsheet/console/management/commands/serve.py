"""`broadsheet serve`: the production server (granian, several worker processes).

Static files are served by granian itself from the collected, hashed files with a year-long
cache lifetime; pages go through the async front (broadsheet/rsgi.py): the page cache, then
Django on a pool of threads.
"""

from __future__ import annotations

import os
import resource

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings


def open_connections(wanted: int) -> int:
    """Raise this process's open-file limit (the workers inherit it) so that `wanted`
    connections fit, as far as the hard limit allows; the connections that do fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    spare = 256  # the database, the page cache's files, logs
    need = wanted + spare
    if hard != resource.RLIM_INFINITY:
        need = min(need, hard)
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        soft = need
    return wanted if soft == resource.RLIM_INFINITY else max(64, min(wanted, soft - spare))


class Command(BaseCommand):
    help = "Serve the site with a production-grade server (granian)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("BROADSHEET_SERVE_THREADS", 4)),
                            help="Threads per worker for Django (cache hits are answered "
                                 "without one); more keep a worker busy while a page waits "
                                 "on the database.")
        parser.add_argument("--access-log", action="store_true")

    def handle(self, *args, host, port, workers, threads, access_log, **options):
        static_root = settings.STATIC_ROOT
        if not (static_root / "staticfiles.json").exists() and not settings.DEBUG:
            raise CommandError(f"No collected static files in {static_root}: run "
                               "`broadsheet collectstatic` first (make run does).")
        # Workers import broadsheet.wsgi, which starts the scheduler thread when told to.
        os.environ["BROADSHEET_SERVER_PROCESS"] = "1"
        os.environ["BROADSHEET_SERVE_THREADS"] = str(threads)
        connections = open_connections(settings.BROADSHEET_SERVE["MAX_CONNECTIONS"])
        listening = f"http://{host}:{port}/"
        public = settings.BASE_URL + "/"
        if public == listening:
            self.stdout.write(f"Broadsheet is serving {public}  (admin: {public}admin/)")
        else:  # behind a proxy: readers use the public address, the proxy this one
            self.stdout.write(f"Broadsheet is serving {public} from {listening}  "
                              f"(admin: {public}admin/)")
        self.stdout.flush()
        Granian(
            # The async front (rsgi.py): no thread waits on a slow reader's network.
            target="broadsheet.rsgi:application",
            address=host,
            port=port,
            interface=Interfaces.RSGI,
            # HTTP/1.1 only (TLS, and with it HTTP/2, is the proxy's job): granian applies
            # the header timeout to HTTP/1 connections.
            http=HTTPModes.http1,
            http1_settings=HTTP1Settings(
                header_read_timeout=settings.BROADSHEET_SERVE["HEADER_SECONDS"] * 1000),
            websockets=False,
            workers=workers,
            backlog=2048,
            # Granian lets each worker hold this many connections at once. A connection
            # waiting for a slow client costs a few kilobytes and no thread, so allow many:
            # granian's default (1,024 in all) let 2,048 stalled clients lock readers out.
            backpressure=max(1, connections // workers),
            log_access=access_log,
            static_path_route=["/static"],
            static_path_mount=[static_root],
            static_path_expires=365 * 24 * 3600,
        ).serve()
