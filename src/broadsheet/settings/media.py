"""Where uploaded media live: local files in the data directory, or an S3-compatible store.

Several hosts behind a load balancer must see the same pictures and documents, so media go
to a bucket (AWS S3, SeaweedFS, Garage, MinIO, Ceph, R2, ...) when one is configured, either
as one URL or as separate variables, which override the URL's parts:

    BROADSHEET_MEDIA_S3_URL=s3://ACCESS:SECRET@HOST[:PORT]/BUCKET?region=R&secure=false
        &public_url=https://media.example.org&acl=public-read
    BROADSHEET_MEDIA_S3_BUCKET, _ENDPOINT (https://host:port), _REGION, _ACCESS_KEY,
        _SECRET_KEY, _PUBLIC_URL, _ACL

Pictures are public on a news site: the page links straight to the store (or the CDN in
front of it, PUBLIC_URL) with no signature, so the bucket must let anyone read. No storage
object is built here: settings import nothing heavier than the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import http_parts

PREFIX = "BROADSHEET_MEDIA_S3_"
URL = PREFIX + "URL"
PARTS = ("BUCKET", "ENDPOINT", "REGION", "ACCESS_KEY", "SECRET_KEY", "PUBLIC_URL", "ACL")
QUERY = {"region", "secure", "public_url", "acl"}
# Names are never reused (mediastore.py), so a browser or CDN may keep an object for good.
CACHE_CONTROL = "public, max-age=31536000, immutable"
DEFAULT_REGION = "us-east-1"  # what boto3 signs with when a store does not care
# AWS's rule for bucket names, which the other stores follow.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class MediaStore:
    """A bucket that media go to, and the address they are served from."""

    bucket: str
    endpoint: str | None  # None: AWS S3 itself
    region: str
    public_url: str  # objects are at public_url + "/" + name
    access_key: str | None = None  # None: boto3's own chain (AWS_* variables, instance role)
    secret_key: str | None = field(default=None, repr=False)  # never in a log or debug page
    acl: str | None = None  # None: the bucket's policy makes objects readable

    @property
    def origin(self) -> str:
        """`scheme://host[:port]` pages' pictures come from: the CSP must let it in."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def storage(self) -> dict:
        """Django's STORAGES entry for this bucket."""
        public = urlsplit(self.public_url)
        return {"BACKEND": "broadsheet.mediastore.MediaStore", "OPTIONS": {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            # Other stores are addressed by path (no wildcard DNS needed); AWS by host name.
            "addressing_style": "path" if self.endpoint else None,
            "signature_version": "s3v4",
            "querystring_auth": False,  # public pictures: plain, cacheable URLs
            "default_acl": self.acl,
            "object_parameters": {"CacheControl": CACHE_CONTROL},
            # URLs are then written as strings, never asked of boto3 (a page has dozens).
            "custom_domain": public.netloc + public.path,
            "url_protocol": public.scheme + ":",
        }}


def media_store(environ: Mapping[str, str]) -> MediaStore | None:
    """The configured store, or None for local files; ImproperlyConfigured naming the
    variable for a bad value."""
    given = {name: environ.get(PREFIX + name, "").strip() for name in PARTS}
    url = environ.get(URL, "").strip()
    parts = _from_url(url) if url else {}
    parts.update({name: value for name, value in given.items() if value})
    if not parts:
        return None
    if not parts.get("BUCKET"):
        named = ", ".join(PREFIX + name for name, value in given.items() if value)
        raise ImproperlyConfigured(f"{named} set but no bucket: set {PREFIX}BUCKET or {URL}")
    bucket = parts["BUCKET"]
    if not _BUCKET.fullmatch(bucket):
        raise ImproperlyConfigured(
            f"{_source('BUCKET', given)}: {bucket!r} is not a bucket name (3-63 lower-case "
            "letters, digits, dots and hyphens)")
    endpoint = parts.get("ENDPOINT") or None
    if endpoint and given["ENDPOINT"]:
        endpoint = _address(PREFIX + "ENDPOINT", endpoint, path=False)
    region = parts.get("REGION") or DEFAULT_REGION
    if not _REGION.fullmatch(region):
        raise ImproperlyConfigured(f"{_source('REGION', given)}: {region!r} is not a region")
    access, secret = parts.get("ACCESS_KEY"), parts.get("SECRET_KEY")
    if bool(access) != bool(secret):
        raise ImproperlyConfigured(
            f"{PREFIX}ACCESS_KEY and {PREFIX}SECRET_KEY (or the user and password of {URL}) "
            "go together: give both, or neither to use boto3's own credentials")
    acl = parts.get("ACL") or None
    if acl not in (None, "public-read"):
        raise ImproperlyConfigured(
            f"{_source('ACL', given)}: {acl!r}: the only ACL that makes sense for a news "
            "site's media is public-read (or none, leaving it to the bucket's policy)")
    public = parts.get("PUBLIC_URL")
    public = (_address(_source("PUBLIC_URL", given), public, path=True) if public
              else _store_address(bucket, endpoint, region))
    return MediaStore(bucket=bucket, endpoint=endpoint, region=region, public_url=public,
                      access_key=access or None, secret_key=secret or None, acl=acl)


def _from_url(raw: str) -> dict:
    shown = _redacted(raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        # Not the parser's own words: they quote the "port", which may be a broken secret.
        raise ImproperlyConfigured(f"{URL}={shown!r} is not a URL: its port is not a number, "
                                   "or a key has a /, + or @ to percent-encode (%2F, %2B, "
                                   "%40)") from None
    if parts.scheme != "s3" or not parts.hostname:
        raise ImproperlyConfigured(
            f"{URL}={shown!r} must be s3://ACCESS:SECRET@HOST[:PORT]/BUCKET[?region=...]")
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise ImproperlyConfigured(f"{URL}={shown!r} must name one bucket as its path "
                                   "(s3://host/bucket)")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(query) - QUERY)
    if unknown or parts.fragment:
        raise ImproperlyConfigured(f"{URL}={shown!r}: unknown parameter "
                                   f"{', '.join(unknown) or '#' + parts.fragment}; "
                                   f"known: {', '.join(sorted(QUERY))}")
    secure = query.get("secure", "true").lower()
    if secure not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{URL}={shown!r}: secure={query['secure']!r} is not a "
                                   "boolean: use true or false")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    scheme = "https" if secure in _TRUE else "http"
    return {"BUCKET": bucket,
            "ENDPOINT": f"{scheme}://{host}" + (f":{port}" if port else ""),
            "REGION": query.get("region", ""),
            "ACCESS_KEY": unquote(parts.username or ""),
            "SECRET_KEY": unquote(parts.password or ""),
            "PUBLIC_URL": query.get("public_url", ""),
            "ACL": query.get("acl", "")}


def _address(name: str, raw: str, *, path: bool) -> str:
    """An http(s) address (with a path only where one makes sense), without a trailing /."""
    shown = _redacted(raw)
    parts = http_parts(name, raw, shown=shown)
    if parts.query or parts.fragment or parts.username or (parts.path.strip("/") and not path):
        raise ImproperlyConfigured(
            f"{name}={shown!r} must be only scheme and host (and port"
            f"{', and a path' if path else ''})")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _store_address(bucket: str, endpoint: str | None, region: str) -> str:
    """Where the store itself serves an object, unsigned, when no PUBLIC_URL is given."""
    if endpoint:
        return f"{endpoint}/{bucket}"
    if "." in bucket:  # a dotted name breaks the TLS certificate of bucket.s3.amazonaws.com
        return f"https://s3.{region}.amazonaws.com/{bucket}"
    return f"https://{bucket}.s3.{region}.amazonaws.com"


def _source(name: str, given: dict) -> str:
    """Which variable a value came from, for the message about it."""
    return PREFIX + name if given[name] else URL


def _redacted(raw: str) -> str:
    """The URL as it may be shown: a secret in it never reaches a message or a log, even
    one with an unencoded / or @ that broke the parse."""
    scheme, sep, rest = raw.partition("://")
    if not sep or "@" not in rest:
        return raw
    credentials, _, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
