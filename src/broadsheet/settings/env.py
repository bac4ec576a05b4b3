"""Typed readers for environment variables.

Every knob Broadsheet has is an environment variable. A bad value must stop start-up with a
message that names the variable, not surface later as a confusing error deep in a request.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def http_parts(name: str, value: str, *, shown: str, example: str = ""):
    """`value` split, if it is an http(s) address with a host; else ImproperlyConfigured
    naming the variable (showing `shown`, which may have its secrets blanked out)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={shown!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}={shown!r} must be an http:// or https:// address{example}")
    return parts


def env_base_url(name: str, default: str) -> str:
    """The site's public address: scheme and host (and port), nothing after them. Every
    absolute link the product writes starts with it, so a path, query or typo here would end
    up in every feed and canonical link: refuse it at start-up instead."""
    raw = os.environ.get(name) or default
    value = raw.strip().rstrip("/")
    parts = http_parts(name, value, shown=raw, example=", e.g. https://news.example.org")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured(
            f"{name}={raw!r} must be only scheme and host (and port): Broadsheet serves the "
            "site from the root of its address")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def env_import_path(name: str, default: str) -> str:
    """A dotted path to a class (a mail backend), imported now: a typo, or a service whose
    package is missing, stops start-up instead of the first newsletter."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        import_string(raw)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} cannot be imported ({exc}): give a class's dotted path, e.g. "
            "anymail.backends.postmark.EmailBackend") from None
    return raw


def env_json_object(name: str) -> dict:
    """A JSON object (a dict of API keys and options); unset or empty: {}. The value is never
    shown in the message: it holds secrets."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} is not valid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            f"{name} must be a JSON object, e.g. {{\"POSTMARK_SERVER_TOKEN\": \"...\"}}")
    return value


def env_basic_auth(name: str, *, min_password: int = 16) -> list[str]:
    """HTTP basic-auth credentials, `user:password`, several comma-separated while one is
    being replaced. Never shown in the message."""
    found = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    for item in found:
        user, colon, password = item.partition(":")
        if not (user and colon and len(password) >= min_password):
            raise ImproperlyConfigured(
                f"{name} must be user:password with a password of at least {min_password} "
                "characters (several comma-separated while changing it), e.g. "
                "newsletters:<a long random string>")
    return found
