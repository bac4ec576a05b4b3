"""The embedded default: SQLite in WAL mode and plain files, all under BROADSHEET_DATA_DIR."""

from .base import *  # noqa: F403
from .base import DATA_DIR

DATABASES = {
    "default": {
        "ENGINE": "broadsheet.sqlite",
        "NAME": DATA_DIR / "broadsheet.sqlite3",
        "OPTIONS": {
            # WAL lets readers proceed while one writer commits; synchronous=NORMAL is still
            # durable against a process crash (the WAL is fsynced at checkpoints), and
            # IMMEDIATE transactions take the write lock up front so two workers never
            # deadlock upgrading a read lock.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=10000;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-32000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 10,
        },
        # Each server thread keeps its connection: opening one runs the PRAGMAs above and
        # registers Django's SQL functions, which cost a post as much as all its queries.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "cache",
    }
}
