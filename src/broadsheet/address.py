"""The site's public address (BROADSHEET_BASE_URL): the start of every absolute URL we write.

Canonical links, feeds, sitemaps, structured data, ninjs, e-mails and the admin's links name
the configured address, never the Host a request happened to carry: behind a reverse proxy or
a CDN that Host is an internal name, and a newsroom that tried Broadsheet on 127.0.0.1 must not
publish links to it once deployed.

Wagtail builds page URLs from its default Site's host and port, so
`masthead.address.follow_base_url()` makes that Site follow the address at every start (the
console script and the WSGI entry point call it). A Site can only say http on a port other
than 443, so for an https address on another port pages built on SiteRootPathsPerRequest
read the address itself (site_paths.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def absolute(path: str) -> str:
    """The public URL of a path on this site ("/feeds/rss.xml"); of "", the address itself,
    for joining to paths. A URL that is already absolute (a picture on a storage service) is
    returned as it is."""
    if not path:
        return settings.BASE_URL
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return urlsplit(settings.BASE_URL).scheme + ":" + path
    return settings.BASE_URL + (path if path.startswith("/") else "/" + path)


def host_and_port() -> tuple[str, int]:
    parts = urlsplit(settings.BASE_URL)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def wagtail_root_url() -> str:
    """What Wagtail's Site.root_url says for a Site with the address's host and port."""
    hostname, port = host_and_port()
    return {80: f"http://{hostname}", 443: f"https://{hostname}"}.get(
        port, f"http://{hostname}:{port}")


def middleware(get_response):
    """`request.build_absolute_uri()` names the configured address too, for the code we call
    rather than write: allauth's confirmation and password-reset links in e-mails, Django's
    and Wagtail's own absolute links. Django builds them from `_current_scheme_host` (the
    request's scheme and Host); the Host is still checked against ALLOWED_HOSTS first, by
    CommonMiddleware, so a request for a host not allowed gets 400 as before."""

    def answer_under_the_public_address(request):
        request._current_scheme_host = settings.BASE_URL
        return get_response(request)

    return answer_under_the_public_address
