"""WSGI entry point: the page cache answers hits before Django; misses fall through to it.

`broadsheet serve` runs the async front in rsgi.py, which answers hits itself and hands the
rest to `after_the_cache` in a thread; any other WSGI server runs `application`."""

import os

from broadsheet.settings import default_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_module())

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

# First: it sets Django up, which the wrappers' imports (models) need in a fresh process.
django_app = get_wsgi_application()

from broadsheet.masthead.address import follow_base_url  # noqa: E402
from broadsheet.pagecache.listener import start_in_process as start_purge_listener  # noqa: E402
from broadsheet.pagecache.wsgi import wrap  # noqa: E402
from broadsheet.proxy import wrap as behind_the_proxy  # noqa: E402
from broadsheet.readership.wsgi import wrap as answer_view_beacons  # noqa: E402

if not os.environ.get("BROADSHEET_SERVER_PROCESS"):
    # Under another WSGI server the site must still follow the configured address; under
    # `broadsheet serve` the console script did it once before the workers started.
    follow_base_url()
# What `broadsheet serve`'s async front (rsgi.py) hands to a thread: it has passed the front
# door and looked in the page cache already, so the thread does neither again.
after_the_cache = answer_view_beacons(django_app)
application = behind_the_proxy(answer_view_beacons(wrap(django_app)))

# With several hosts (REDIS_URL), every server process joins in hearing the other hosts'
# purges (one per data directory listens); the embedded default starts nothing.
start_purge_listener()

if os.environ.get("BROADSHEET_SERVER_PROCESS") and settings.BROADSHEET_PUBLISHING["SCHEDULER"]:
    # Only when this process runs the scheduler (it loads the publishing models).
    from broadsheet.publishing.scheduler import start_in_process

    start_in_process(settings.BROADSHEET_PUBLISHING["POLL_SECONDS"])

_workers = settings.BROADSHEET_WORKERS
if (os.environ.get("BROADSHEET_SERVER_PROCESS") and _workers["QUEUE"] == "database"
        and _workers["SERVE_THREAD"]):
    # One machine without `broadsheet worker` processes: each server process works the queue.
    from broadsheet.workers.worker import start_in_process as start_worker

    start_worker()
