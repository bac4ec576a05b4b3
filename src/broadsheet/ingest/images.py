"""Bringing an imported story's pictures in: fetched when reachable, otherwise kept as remote.

A picture that cannot be fetched never fails an import: the story goes in without it, the
picture is recorded as a `RemoteImage` with the reason, and the run reports a warning. A host
that failed once is not asked again in the same run, so a move-in of thousands of posts whose
pictures live on a dead host does not wait on it thousands of times.

Each reason says whether trying again later may help (`Unfetched.retry`): a server that did
not answer, or answered with an error, may answer tomorrow; an address that is not http(s),
on a private network, or a run told not to fetch, will not change by waiting.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import socket
import urllib.error
import urllib.request
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from wagtail.images import get_image_model

from .models import FetchedImage

logger = logging.getLogger("broadsheet.ingest")
MAX_BYTES = 25 * 1024 * 1024
TIMEOUT = 10  # seconds per picture


class Unfetched(str):
    """Why a picture is not in the library (the text), and whether a later attempt may
    bring it in (`retry`)."""

    retry: bool

    def __new__(cls, text: str, *, retry: bool = False):
        reason = super().__new__(cls, text)
        reason.retry = retry
        return reason


class Fetcher:
    """Fetches picture files for one run; `enabled=False` records every picture as remote."""

    def __init__(self, *, enabled: bool = True, base_url: str = ""):
        self.enabled, self.base_url = enabled, base_url
        self.dead_hosts: dict[str, Unfetched] = {}
        self.private_ok = settings.BROADSHEET_INGEST["FETCH_PRIVATE_ADDRESSES"]

    def image_for(self, url: str, *, title: str):
        """(Wagtail image, None) for a picture now in the library, or (None, Unfetched)."""
        url = self.absolute(url)
        known = self.known(url)
        if known:
            return known, None
        got = self.download(url)
        if isinstance(got, Unfetched):
            return None, got
        data, kind = got
        return self.store(url, data, kind, title=title), None

    def absolute(self, url: str) -> str:
        url = urljoin(self.base_url, url.strip()) if self.base_url else url.strip()
        return "https:" + url if url.startswith("//") else url

    @staticmethod
    def known(url: str):
        """The library's copy of the file at `url`, if it was fetched before."""
        found = FetchedImage.objects.filter(url=url[:1000]).select_related("image").first()
        return found.image if found else None

    def download(self, url: str) -> tuple[bytes, str] | Unfetched:
        """The file's bytes and its picture format, or why not. Network only, no database:
        a caller inside a transaction would hold the database's write lock while it waits."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return Unfetched(f"{url[:200]!r} is not an http(s) address")
        if not self.enabled:
            return Unfetched("fetching pictures is switched off (--no-fetch)")
        if parts.netloc in self.dead_hosts:
            return self.dead_hosts[parts.netloc]
        if not self.private_ok:
            refusal = _private_address(parts.hostname or "")
            if refusal:
                self.dead_hosts[parts.netloc] = refusal
                return refusal
        try:
            data = _download(url)
        except (OSError, ValueError) as exc:  # URLError and socket errors are OSErrors
            problem = Unfetched(f"could not be fetched: {_reason(exc)}", retry=True)
            if not isinstance(exc, urllib.error.HTTPError):
                self.dead_hosts[parts.netloc] = problem  # the host, not the one file
            return problem
        try:
            with PILImage.open(io.BytesIO(data)) as probe:
                probe.verify()
                kind = (probe.format or "jpeg").lower()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            # Often a server's error page sent as if it were the file: worth another try.
            return Unfetched(f"is not a picture Broadsheet can read: {exc}", retry=True)
        return data, kind

    @staticmethod
    def store(url: str, data: bytes, kind: str, *, title: str):
        """Put a downloaded file in the image library, remembered by its address."""
        name = PurePosixPath(urlsplit(url).path).stem[:60] or "picture"
        image = get_image_model().objects.create(
            title=title[:255] or name, file=ImageFile(io.BytesIO(data), name=f"{name}.{kind}"))
        FetchedImage.objects.create(url=url[:1000], image=image)
        return image


def _private_address(host: str) -> Unfetched | None:
    """Why this host may not be fetched from (it is this machine or a private network)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:  # a name that does not resolve today may resolve tomorrow
        return Unfetched(f"could not be fetched: {exc}", retry=True)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return Unfetched(f"is on a private or local address ({ip}); not fetched "
                             "(BROADSHEET_IMPORT_FETCH_PRIVATE allows it)")
    return None


def _download(url: str) -> bytes:
    # Only http(s) addresses get here (image_for checks the scheme).
    request = urllib.request.Request(url, headers={"User-Agent": "Broadsheet-import/1"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        data = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    return data


def _reason(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
