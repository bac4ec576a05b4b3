"""The production profile: PostgreSQL, Redis and PostgreSQL full-text search.

Chosen when DATABASE_URL is set; REDIS_URL adds the shared cache (rate limits, locks) and
the purge fan-out between hosts.
"""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_str

_database_url = env_str("DATABASE_URL")
if not _database_url:
    raise ImproperlyConfigured("DATABASE_URL must be set for the production profile")
try:
    # Health checks: a connection kept across requests is tested before a request uses it,
    # so a PostgreSQL restart or failover costs no reader a failed page.
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60,
                                                  conn_health_checks=True)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None

_replica_url = env_str("DATABASE_REPLICA_URL")
if _replica_url:
    # Anonymous readers' pages are made from the replica, with the rules in replica.py that
    # keep its lag from showing; everything else reads and writes the primary.
    try:
        DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=60,
                                                     conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a database URL: {exc}") from None
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["broadsheet.replica.ReplicaRouter"]
    MIDDLEWARE = [MIDDLEWARE[0], "broadsheet.replica.middleware", *MIDDLEWARE[1:]]  # noqa: F405

_redis_url = env_str("REDIS_URL")
if _redis_url:
    CACHES = {
        "default": {
            # Django's Redis cache, treating an unreachable Redis as a miss (sharedcache.py).
            "BACKEND": "broadsheet.sharedcache.ResilientRedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": env_str("BROADSHEET_CACHE_PREFIX", "broadsheet"),
        }
    }
    # Every host's page store hears every purge through Redis (pagecache/fanout.py).
    BROADSHEET_PAGECACHE = {  # noqa: F405
        **BROADSHEET_PAGECACHE,  # noqa: F405
        "FANOUT_URL": _redis_url,
        "FANOUT_CHANNEL": env_str("BROADSHEET_CACHE_PREFIX", "broadsheet") + ":purges",
    }
    # Sessions read from Redis and written through to PostgreSQL: a signed-in reader or
    # editor stays signed in on every host, and through a Redis outage.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # Redis counts atomically for every host that shares it.
    BROADSHEET_COMMENTS = {**BROADSHEET_COMMENTS, "RATE_COUNTER_DIR": None}  # noqa: F405
else:
    # Without Redis, a file cache in the data directory is shared by the workers of one host.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": DATA_DIR / "cache"}}  # noqa: F405

WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": "english"}
}
