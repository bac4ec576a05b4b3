"""The front door: what a request says about how it reached us, believed only from our proxy.

`broadsheet serve` speaks plain HTTP. Behind a reverse proxy that terminates TLS (nginx,
Caddy, a load balancer), the proxy tells us the reader's scheme and address in
X-Forwarded-Proto and X-Forwarded-For. Anyone on the internet can send those headers too, so
they are believed only from the addresses in BROADSHEET_TRUSTED_PROXY and removed from every
other request, before anything else reads them.

A site with an https:// address is served over HTTPS only: a plain HTTP request is redirected
to the same path at the public address here, in front of the view beacon and the page cache,
so a cached page is never served over plain HTTP either (Django's SecurityMiddleware does the
same for what reaches Django, and sends the HSTS header).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


def networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"BROADSHEET_TRUSTED_PROXY: {entry!r} is not an IP address or network") from None
    return found


def _address(raw: str):
    try:
        return ipaddress.ip_address(raw.strip().strip("[]").split("%")[0])
    except ValueError:
        return None


def front_door():
    """`admit(environ)`: believes or strips the forwarded headers (changing `environ`), and
    returns the redirect to send instead of the page, (status code, status line, headers,
    body), or None to go on."""
    trusted = networks(settings.TRUSTED_PROXIES)
    redirect_to = settings.BASE_URL if settings.SECURE_SSL_REDIRECT else None

    def is_trusted(raw: str | None) -> bool:
        ip = _address(raw or "")
        return ip is not None and any(ip in net for net in trusted)

    def admit(environ):
        if trusted and is_trusted(environ.get("REMOTE_ADDR")):
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            # The reader is the last address that is not one of our proxies: entries to its
            # left were written by the reader's side and may be anything.
            hops = [h for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            for hop in reversed(hops):
                if not is_trusted(hop):
                    if _address(hop) is not None:
                        environ["REMOTE_ADDR"] = str(_address(hop))
                    break
        else:
            for name in _FORWARDED:
                environ.pop(name, None)
        if redirect_to and environ.get("wsgi.url_scheme") != "https":
            # PATH_INFO holds the request's bytes decoded as Latin-1 (PEP 3333).
            path = quote(environ.get("PATH_INFO", "/").encode("latin-1"),
                         safe="/%;:@&=+$,!~*'()")
            query = environ.get("QUERY_STRING", "")
            location = redirect_to + path + (f"?{query}" if query else "")
            return 301, "301 Moved Permanently", [
                ("Location", location), ("Content-Length", "0"),
                ("Cache-Control", "public, max-age=3600")], b""
        return None

    return admit


def wrap(app):
    admit = front_door()

    def application(environ, start_response):
        redirect = admit(environ)
        if redirect is not None:
            start_response(redirect[1], redirect[2])
            return [redirect[3]]
        return app(environ, start_response)

    return application
