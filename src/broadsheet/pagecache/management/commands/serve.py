"""`broadsheet serve`: the production server (granian, several worker processes).

Static files are served by granian itself from the collected, hashed files with a year-long
cache lifetime; pages go through the page cache, then Django.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the site with a production-grade server (granian)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("BROADSHEET_SERVE_THREADS", 4)),
                            help="Python threads per worker: hits run one at a time under "
                                 "the GIL; more keep a worker busy while a page waits on the "
                                 "database.")
        parser.add_argument("--access-log", action="store_true")

    def handle(self, *args, host, port, workers, threads, access_log, **options):
        from granian import Granian
        from granian.constants import Interfaces

        static_root = settings.STATIC_ROOT
        if not (static_root / "staticfiles.json").exists() and not settings.DEBUG:
            raise CommandError(f"No collected static files in {static_root}: run "
                               "`broadsheet collectstatic` first (make run does).")
        # Workers import broadsheet.wsgi, which starts the scheduler thread when told to.
        os.environ["BROADSHEET_SERVER_PROCESS"] = "1"
        listening = f"http://{host}:{port}/"
        public = settings.BASE_URL + "/"
        if public == listening:
            self.stdout.write(f"Broadsheet is serving {public}  (admin: {public}admin/)")
        else:  # behind a proxy: readers use the public address, the proxy this one
            self.stdout.write(f"Broadsheet is serving {public} from {listening}  "
                              f"(admin: {public}admin/)")
        self.stdout.flush()
        Granian(
            target="broadsheet.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            backlog=2048,
            log_access=access_log,
            static_path_route=["/static"],
            static_path_mount=[static_root],
            static_path_expires=365 * 24 * 3600,
        ).serve()
