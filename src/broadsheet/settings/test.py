"""Test profile: the same storage as the profile under test, made fast and isolated.

With DATABASE_URL set the suite runs on PostgreSQL (+ Redis when REDIS_URL is set), otherwise
on SQLite; everything else is identical so one suite proves both.
"""

import atexit
import os
import shutil
import tempfile
from urllib.parse import urlsplit

# Each test process gets its own data directory so parallel workers never share files.
_data_dir = tempfile.mkdtemp(prefix="broadsheet-test-")
os.environ["BROADSHEET_DATA_DIR"] = _data_dir
atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
# The public address tests expect in absolute links, whatever the developer's shell says. It is
# not the test client's host ("testserver"), so every test of a link also shows that links name
# the configured address rather than the request's Host.
os.environ["BROADSHEET_BASE_URL"] = "http://127.0.0.1:8000"

# Which profile is under test decides what to import: a conditional, so not at the top.
if os.environ.get("DATABASE_URL"):
    from .production import *  # noqa: F403
else:
    from .embedded import *  # noqa: F403

from .base import DATA_DIR, STORAGES  # noqa: E402

# Live-server threads must not keep connections open past a test (PostgreSQL would refuse to
# drop the test database).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if DATABASES["default"]["ENGINE"] == "broadsheet.sqlite":  # noqa: F405
    # In memory, as Django tests SQLite by default: pytest-django only knows Django's own
    # engine name, and would otherwise give each xdist worker a file named after ours.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
BROADSHEET_PUBLISHING = {"SCHEDULER": False, "POLL_SECONDS": 1}
if os.environ.get("REDIS_URL"):
    # Parallel workers share one Redis server; each gets a database of its own (cache.clear()
    # flushes a whole database, so a key prefix would not be enough).
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    _db = 1 + (int(_worker) if _worker.isdigit() else 0) % 15
    CACHES["default"]["LOCATION"] = urlsplit(os.environ["REDIS_URL"])._replace(  # noqa: F405
        path=f"/{_db}").geturl()
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = DATA_DIR / "media"
# Pub/sub channels are server-wide (not per database), and the parallel workers share one
# Redis: the suite's own processes publish no purges. tests/test_purge_fanout.py runs real
# hosts (production settings) and turns it on where it tests it.
BROADSHEET_PAGECACHE = {**BROADSHEET_PAGECACHE, "FANOUT_URL": None}  # noqa: F405
