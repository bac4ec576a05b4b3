"""Every Broadsheet setting. Knobs come from BROADSHEET_* environment variables only.

The profile modules (embedded, production, test) import this and swap storage backends; they
add no new knobs of their own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from wagtail.embeds import oembed_providers

from .env import (
    env_base_url,
    env_basic_auth,
    env_bool,
    env_import_path,
    env_int,
    env_json_object,
    env_list,
    env_str,
)
from .media import media_store

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# One data directory holds everything the embedded default writes: database, media, secret
# key, outbox, page cache. Relative paths resolve against the working directory so that
# `make run` in a checkout keeps its data in ./var/.
DATA_DIR = Path(env_str("BROADSHEET_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    """The secret key from the environment, else one generated once and kept in DATA_DIR."""
    key = env_str("BROADSHEET_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("BROADSHEET_SECRET_KEY must be at least 32 characters")
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        # O_EXCL: two workers starting at once must agree on one key.
        try:
            with open(path, "x") as fh:
                fh.write(key)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip()
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("BROADSHEET_DEBUG", False)
ALLOWED_HOSTS = env_list("BROADSHEET_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# The one public address. Every absolute URL the product writes starts with it, whatever Host
# a request carried (address.py), and the default Wagtail Site follows it at start-up.
BASE_URL = env_base_url("BROADSHEET_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_BASE_URL = BASE_URL
HTTPS = BASE_URL.startswith("https://")
CSRF_TRUSTED_ORIGINS = [BASE_URL] if HTTPS else []

# A reverse proxy in front (TLS termination, a load balancer): only requests from these
# addresses (IPs or networks) may say, in X-Forwarded-Proto/-For, how the reader reached it and
# from where; anyone else's X-Forwarded-* headers are dropped (broadsheet/proxy.py), so a forged
# header from the internet cannot pass plain HTTP off as HTTPS or borrow another address.
TRUSTED_PROXIES = env_list("BROADSHEET_TRUSTED_PROXY", [])

INSTALLED_APPS = [
    # Broadsheet's newsroom apps, one concern each.
    "broadsheet.masthead",
    "broadsheet.sections",
    "broadsheet.articles",
    "broadsheet.people",
    "broadsheet.frontpage",
    "broadsheet.comments",
    "broadsheet.readership",
    "broadsheet.newsletters",
    "broadsheet.publishing",
    "broadsheet.pagecache",
    "broadsheet.edge",
    "broadsheet.syndication",
    "broadsheet.archive",
    "broadsheet.ingest",
    "broadsheet.exchange",
    "broadsheet.demo",
    "broadsheet.pages",
    "broadsheet.console",
    "broadsheet.workers",
    "django_tasks",
    "django_tasks_db",
    # Wagtail: editor, revisions, workflows, scheduling, images, search.
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "allauth",
    "allauth.account",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # Every log line of a request, and its error page, name the request's id.
    "broadsheet.requestid.middleware",
    # Addresses of pages a shared cache may keep, for caches purged by address (edge/urls.py):
    # outside the page cache's middleware, which decides what may be shared.
    "broadsheet.edge.urls.RememberURLs",
    # Outermost but for the id, so it stores the response exactly as it leaves Django.
    "broadsheet.pagecache.middleware.PageCacheMiddleware",
    "broadsheet.site_paths.middleware",
    "broadsheet.address.middleware",
    # The site and its home page, remembered between purges (after the public address is set).
    "broadsheet.masthead.site_lookup.middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "broadsheet.ingest.middleware.WordPressLinkMiddleware",  # /?p=N of a WordPress move-in
]

ROOT_URLCONF = "broadsheet.urls"
WSGI_APPLICATION = "broadsheet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "broadsheet.masthead.context_processors.masthead",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "broadsheet.comments.signup.SignupExtras"  # public display name
ACCOUNT_ADAPTER = "broadsheet.comments.account_mail.AccountAdapter"  # site name, not Host

# The site's language (BCP 47): feeds and pages say it.
LANGUAGE_CODE = env_str("BROADSHEET_LANGUAGE", "en-gb")
TIME_ZONE = env_str("BROADSHEET_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names let the server give static files a year-long cache lifetime.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
# Uploaded pictures, renditions and documents on an S3-compatible store that every host
# shares (settings/media.py), else files under MEDIA_ROOT served at /media/ by Django.
BROADSHEET_MEDIA_S3 = media_store(os.environ)
if BROADSHEET_MEDIA_S3:
    STORAGES["default"] = BROADSHEET_MEDIA_S3.storage()
    MEDIA_URL = BROADSHEET_MEDIA_S3.public_url + "/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# E-mail: written as files to the outbox unless an SMTP host is configured.
EMAIL_HOST = env_str("BROADSHEET_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("BROADSHEET_EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("BROADSHEET_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("BROADSHEET_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("BROADSHEET_EMAIL_TLS", True)
    # A server that stops answering fails the message (it is tried again later) well
    # within a newsletter runner's lease, instead of holding the runner for ever.
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
# A mail service instead (newsletters at volume): its django-anymail backend, e.g.
# anymail.backends.postmark.EmailBackend (or any Django mail backend), and its API keys and
# options as JSON (the ANYMAIL dict).
EMAIL_BACKEND = env_import_path("BROADSHEET_EMAIL_BACKEND", EMAIL_BACKEND)
DEFAULT_FROM_EMAIL = env_str("BROADSHEET_EMAIL_FROM", "newsroom@localhost")
ANYMAIL = env_json_object("BROADSHEET_ANYMAIL")
# The service reports bounces and complaints to /newsletters/anymail/<service>/tracking/ with
# this user:password (basic auth). A forged bounce would silence a reader, so without one the
# webhooks refuse every request: an unguessable secret nobody has.
_webhook_secrets = env_basic_auth("BROADSHEET_ANYMAIL_WEBHOOK_SECRET")
if _webhook_secrets:
    ANYMAIL["WEBHOOK_SECRET"] = _webhook_secrets
elif not ANYMAIL.get("WEBHOOK_SECRET"):
    ANYMAIL["WEBHOOK_SECRET"] = f"unset:{secrets.token_urlsafe(32)}"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
# No script of ours reads the CSRF cookie: forms carry the token, Wagtail's admin reads it from
# the page.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
# An https address is served over HTTPS only: plain HTTP is redirected to the public address
# (also before the page cache, in broadsheet/proxy.py) and browsers are told to remember that.
SECURE_SSL_REDIRECT = HTTPS
SECURE_SSL_HOST = BASE_URL.split("://", 1)[1] if HTTPS else None
SECURE_HSTS_SECONDS = env_int("BROADSHEET_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0,
                              minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BROADSHEET_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("BROADSHEET_HSTS_PRELOAD", False)
# Covering subdomains, or asking to be built into browsers, binds every other site under the
# domain and is hard to undo: the newsroom decides (the two variables above), so Django's
# reminders to do it are not warnings here.
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# A strict policy for the public site: no inline script or style anywhere. The Wagtail admin
# ships inline scripts of its own, so it is excluded; it is staff-only and behind a login.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Pictures on a store are linked at its address (or its CDN's).
        "img-src": ["'self'", "data:",
                    *([BROADSHEET_MEDIA_S3.origin] if BROADSHEET_MEDIA_S3 else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["https://www.youtube.com", "https://www.youtube-nocookie.com",
                      "https://player.vimeo.com"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

WAGTAIL_SITE_NAME = env_str("BROADSHEET_SITE_NAME", "Broadsheet")
WAGTAIL_I18N_ENABLED = False
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"png": "webp", "jpeg": "webp", "gif": "webp"}
# Only approved providers can be embedded in stories; their players are the only frames the
# Content-Security-Policy lets in.
WAGTAILEMBEDS_FINDERS = [{
    "class": "wagtail.embeds.finders.oembed",
    "providers": [oembed_providers.youtube, oembed_providers.vimeo],
}]
WAGTAIL_WORKFLOW_ENABLED = True
# No Gravatar: the admin would send a hash of every staff e-mail address to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Background work (purges to the edge, picture fetches, search index updates, e-mails) runs as
# django-tasks tasks. "immediate": in the process that asks for it (one machine, the
# default); "database": queued in the database and run by `broadsheet worker` processes on any
# host, or by a worker thread in `broadsheet serve` (workers/worker.py).
BROADSHEET_WORKERS = {
    "QUEUE": env_str("BROADSHEET_TASKS", "immediate"),
    "SERVE_THREAD": env_bool("BROADSHEET_SERVE_WORKER", True),
    # Runs in all of a task that keeps failing, before it stays failed (in the admin).
    "ATTEMPTS": env_int("BROADSHEET_TASK_ATTEMPTS", 5, minimum=1),
    # A worker not heard from for this long is gone, and its running tasks are queued again.
    "LOST_AFTER_SECONDS": env_int("BROADSHEET_WORKER_LOST_AFTER", 30, minimum=2),
}
if BROADSHEET_WORKERS["QUEUE"] not in ("immediate", "database"):
    raise ImproperlyConfigured(
        f"BROADSHEET_TASKS is {BROADSHEET_WORKERS['QUEUE']!r}: use immediate or database")
TASKS = {"default": {"BACKEND": (
    "django_tasks_db.DatabaseBackend" if BROADSHEET_WORKERS["QUEUE"] == "database"
    else "django_tasks.backends.immediate.ImmediateBackend")}}

BROADSHEET_READERSHIP = {
    # A reader reloading the same story inside this window counts once.
    "REPEAT_WINDOW_SECONDS": env_int("BROADSHEET_REPEAT_VIEW_WINDOW", 1800, minimum=0),
    # Acknowledged views wait here until they are folded into the database. Written before
    # the beacon is answered, so they survive the server being killed; with SYNC also synced
    # to disk (group commit), so they survive the machine losing power.
    "JOURNAL_DIR": DATA_DIR / "views",
    "JOURNAL_SYNC": env_bool("BROADSHEET_VIEW_JOURNAL_SYNC", False),
    # Popular: a unique view loses half its weight every this many hours.
    "HALF_LIFE_HOURS": env_int("BROADSHEET_POPULAR_HALF_LIFE_HOURS", 6, minimum=1),
}
BROADSHEET_PAGECACHE = {
    "ENABLED": env_bool("BROADSHEET_PAGE_CACHE", True),
    # Pages whose widgets move on their own clock (Popular) are re-rendered after this.
    "MAX_AGE": env_int("BROADSHEET_PAGE_CACHE_MAX_AGE", 30, minimum=1),
    # The store's bounds: least recently used pages go first (pagecache/store.py).
    "MAX_PAGES": env_int("BROADSHEET_PAGE_CACHE_MAX_PAGES", 20_000, minimum=10),
    "MAX_MB": env_int("BROADSHEET_PAGE_CACHE_MAX_MB", 1024, minimum=1),
    # Parts of pages (the story, its widgets, its thread) kept rendered between purges, for
    # everyone the page cache does not serve: signed-in readers, the first after a purge.
    "FRAGMENTS": env_bool("BROADSHEET_FRAGMENT_CACHE", True),
    # Several hosts: where every purge is published so that each host's store hears it (a
    # Redis URL; the production profile sets it from REDIS_URL), on which channel, and how
    # often a host that cannot hear purges empties its store meanwhile (pagecache/fanout.py).
    "FANOUT_URL": None,
    "FANOUT_CHANNEL": "broadsheet:purges",
    "OFFLINE_SECONDS": env_int("BROADSHEET_PAGE_CACHE_OFFLINE_SECONDS", 5, minimum=1),
}
# HTTP caches in front (issue 16): where purges go, comma-separated: varnish://host:port,
# fastly://<service id>, cloudflare://<zone id>, bunny://<pull zone id>, purge-url://host:port
# (a cache without tags, purged address by address), akamai://... (tag header only); each
# kind's tag header is sent on every page that may be shared (edge/headers.py).
BROADSHEET_EDGE = env_list("BROADSHEET_EDGE", [])
# The CDNs' API tokens, from the environment only (never in BROADSHEET_EDGE, which is logged
# with every failed purge), and their APIs' addresses (a fake one on loopback in the tests).
BROADSHEET_FASTLY_TOKEN = env_str("BROADSHEET_FASTLY_TOKEN")
BROADSHEET_CLOUDFLARE_TOKEN = env_str("BROADSHEET_CLOUDFLARE_TOKEN")
BROADSHEET_BUNNY_KEY = env_str("BROADSHEET_BUNNY_KEY")
BROADSHEET_FASTLY_API = env_str("BROADSHEET_FASTLY_API", "https://api.fastly.com")
BROADSHEET_CLOUDFLARE_API = env_str("BROADSHEET_CLOUDFLARE_API", "https://api.cloudflare.com")
BROADSHEET_BUNNY_API = env_str("BROADSHEET_BUNNY_API", "https://api.bunny.net")
# Purged pages marked stale rather than dropped: served while the cache fetches them again.
BROADSHEET_EDGE_SOFT_PURGE = env_bool("BROADSHEET_EDGE_SOFT_PURGE", False)
BROADSHEET_EDGE_CACHE = {
    # A browser keeps a page this long; a shared cache until a purge (s-maxage).
    "BROWSER_MAX_AGE": env_int("BROADSHEET_BROWSER_MAX_AGE", 30, minimum=0),
    "STALE_WHILE_REVALIDATE": env_int("BROADSHEET_STALE_WHILE_REVALIDATE", 30, minimum=0),
    "STALE_IF_ERROR": env_int("BROADSHEET_STALE_IF_ERROR", 86400, minimum=0),
}
# `broadsheet serve` faces readers directly: a client may not hold a connection open by
# sending its request slowly (rsgi.py). Headers must arrive within HEADER_SECONDS; a body
# within BODY_SECONDS plus the time its length takes at MIN_BODY_RATE (bytes a second, so a
# picture uploaded over a poor phone connection still arrives), else 408. Bodies over
# MAX_BODY_MB are refused with 413 before they are read. MAX_CONNECTIONS is how many
# connections the server holds open at once (its workers together; the open-file limit is
# raised to fit, up to the system's hard limit).
BROADSHEET_SERVE = {
    "HEADER_SECONDS": env_int("BROADSHEET_HEADER_TIMEOUT", 10, minimum=1),
    "BODY_SECONDS": env_int("BROADSHEET_BODY_TIMEOUT", 10, minimum=1),
    "MIN_BODY_RATE": env_int("BROADSHEET_MIN_BODY_RATE", 8_000, minimum=1),
    "MAX_BODY_MB": env_int("BROADSHEET_MAX_BODY_MB", 100, minimum=1),
    "MAX_CONNECTIONS": env_int("BROADSHEET_MAX_CONNECTIONS", 16_384, minimum=64),
}
BROADSHEET_COMMENTS = {
    # Where the workers of one host count posts for the rate limits (comments/rate_windows.py);
    # None counts in the shared cache, which a profile sets when that cache is Redis.
    "RATE_COUNTER_DIR": DATA_DIR / "ratelimits",
}
BROADSHEET_INGEST = {
    # Imported items name picture files by URL; an address on this machine or its private
    # network is not fetched unless allowed (a wire or feed must not reach internal services).
    "FETCH_PRIVATE_ADDRESSES": env_bool("BROADSHEET_IMPORT_FETCH_PRIVATE", False),
    # A story's picture that could not be fetched is tried again in the background, waiting
    # this long after the first failure and twice as long after each next one, until this
    # many attempts (the import's own included) have failed.
    "PICTURE_ATTEMPTS": env_int("BROADSHEET_IMPORT_PICTURE_ATTEMPTS", 10, minimum=1),
    "PICTURE_RETRY_SECONDS": env_int("BROADSHEET_IMPORT_PICTURE_RETRY_DELAY", 60, minimum=1),
    # A file larger than this is refused before it is read. WordPress exports of large
    # newsrooms run to tens of MB (WordPress's own test export is 0.6 MB for 40 posts with
    # comments); 200 MB leaves room for about ten years of a daily paper's posts while a
    # mistaken or hostile file cannot fill the memory of a small server.
    "MAX_FILE_BYTES": env_int("BROADSHEET_IMPORT_MAX_FILE_BYTES", 200 * 1024 * 1024,
                              minimum=1),
    # A story body larger than this is refused: a long feature is 50 KB of HTML, a whole
    # book chapter 500 KB; each byte of body costs tens in memory on its way to a page
    # (sanitised, split into blocks, kept in a revision, indexed).
    "MAX_ITEM_BYTES": env_int("BROADSHEET_IMPORT_MAX_ITEM_BYTES", 2 * 1024 * 1024, minimum=1),
}
BROADSHEET_PUBLISHING = {
    "SCHEDULER": env_bool("BROADSHEET_SCHEDULER", True),
    "POLL_SECONDS": env_int("BROADSHEET_SCHEDULER_POLL", 1, minimum=1),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "broadsheet.requestid.RequestIdFilter"}},
    "formatters": {"plain": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["request_id"]}},
    "loggers": {
        "broadsheet": {"handlers": ["console"], "level": env_str("BROADSHEET_LOG_LEVEL", "INFO")},
        # Django logs every unhandled exception here, with its traceback; by default that
        # reaches no handler unless DEBUG is on.
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
