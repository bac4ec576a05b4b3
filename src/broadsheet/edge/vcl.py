"""The reference Varnish configuration: `broadsheet edge vcl --backend HOST:PORT ...`.

For Debian's varnish 7 with varnish-modules (the xkey vmod). What it does, and why:
- the backends are health-checked (robots.txt, cheap and public) and shared round robin;
- purges come only from the allowed addresses: `PURGE` with `xkey-purge` (or
  `xkey-softpurge`) drops every page carrying one of the tags, `BAN` drops everything;
- signed-in readers and editors (a session cookie), the view beacon and every write pass to
  Broadsheet, never cached; other requests lose their cookies and tracking parameters, so
  one copy of a page serves every anonymous reader;
- a page is kept for its `s-maxage` (the purges keep it current) and for a day of grace: while
  Broadsheet cannot answer, readers get the last copy (`stale-if-error`);
- the tag header is Varnish's business: it is not sent on to readers.
"""

from __future__ import annotations

from django.conf import settings

from broadsheet.tracking import TRACKING_PATTERN

TEMPLATE = """vcl 4.1;
# Printed by `{command}`, for Varnish 7 with varnish-modules (xkey).

import directors;
import xkey;

{backends}

acl purgers {{
{purgers}
}}

sub vcl_init {{
    new origin = directors.round_robin();
{adds}
}}

sub vcl_recv {{
    set req.backend_hint = origin.backend();
    if (req.method == "PURGE") {{
        if (client.ip !~ purgers) {{
            return (synth(403, "Purges are not taken from this address"));
        }}
        if (req.http.xkey-purge) {{
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        }} elsif (req.http.xkey-softpurge) {{
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        }} else {{
            return (synth(400, "A purge names its tags in xkey-purge"));
        }}
        return (synth(200, "Purged " + req.http.n-gone));
    }}
    if (req.method == "BAN") {{
        if (client.ip !~ purgers) {{
            return (synth(403, "Purges are not taken from this address"));
        }}
        ban("obj.status != 0");
        return (synth(200, "Banned everything"));
    }}
    if (req.method != "GET" && req.method != "HEAD") {{
        return (pass);
    }}
    if (req.url ~ "^/(_/|admin/|accounts/|discussion/|comments/)"
            || req.http.Cookie ~ "(^|;\\s*){session_cookie}=") {{
        return (pass);
    }}
    set req.url = regsuball(req.url, "(?i)(?<=[?&])(?:{tracking})(?:=[^&]*)?(?:&|$)", "");
    set req.url = regsub(req.url, "[?&]$", "");
    unset req.http.Cookie;
    # Three copies of a page at most (brotli, gzip, neither), as Broadsheet stores them;
    # brotli whenever accepted. The choice is kept aside: Varnish rewrites Accept-Encoding to
    # gzip or nothing once this returns.
    if (req.http.Accept-Encoding ~ "(?i)\\bbr\\b" && req.http.Accept-Encoding
            !~ "(?i)\\bbr\\s*;\\s*q\\s*=\\s*0(\\.0*)?\\s*(,|$)") {{
        set req.http.X-Accept-Encoding = "br";
    }} elsif (req.http.Accept-Encoding ~ "(?i)\\bgzip\\b" && req.http.Accept-Encoding
            !~ "(?i)\\bgzip\\s*;\\s*q\\s*=\\s*0(\\.0*)?\\s*(,|$)") {{
        set req.http.X-Accept-Encoding = "gzip";
    }} else {{
        unset req.http.X-Accept-Encoding;
    }}
    return (hash);
}}

sub vcl_hash {{
    # Each copy is an object of its own: with http_gzip_support (the default) Varnish skips
    # Accept-Encoding when it matches Vary, meaning to gunzip one gzip copy for everyone.
    hash_data(req.http.X-Accept-Encoding);
}}

sub vcl_backend_fetch {{
    # Varnish asks the backend for gzip whatever the reader accepts: ask for the reader's
    # choice, so brotli readers get Broadsheet's brotli copy.
    if (bereq.http.X-Accept-Encoding) {{
        set bereq.http.Accept-Encoding = bereq.http.X-Accept-Encoding;
    }} elsif (bereq.uncacheable) {{
        # a pass: what the reader sent (Broadsheet does not compress personal pages)
    }} else {{
        unset bereq.http.Accept-Encoding;
    }}
    unset bereq.http.X-Accept-Encoding;
}}

sub vcl_backend_response {{
    set beresp.grace = 24h;
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=0(,|$)") {{
        # A page a purge overtook while it rendered: kept a second, never served stale.
        set beresp.grace = 0s;
    }}
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "private|no-store"
            || !beresp.http.Cache-Control) {{
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }}
}}

sub vcl_deliver {{
    unset resp.http.xkey;
    if (obj.hits > 0) {{
        set resp.http.X-Edge = "hit";
    }} else {{
        set resp.http.X-Edge = "miss";
    }}
}}
"""


def render(backends: list[tuple[str, int]], purgers: list[str], command: str = "") -> str:
    if not backends:
        raise ValueError("at least one backend (HOST:PORT)")
    defs, adds = [], []
    for n, (host, port) in enumerate(backends):
        defs.append(
            f'backend b{n} {{\n    .host = "{host}";\n    .port = "{port}";\n'
            f'    .connect_timeout = 1s;\n    .first_byte_timeout = 30s;\n'
            f'    .probe = {{\n        .url = "/robots.txt";\n        .interval = 2s;\n'
            f'        .timeout = 1s;\n        .window = 5;\n        .threshold = 3;\n    }}\n}}')
        adds.append(f"    origin.add_backend(b{n});")
    return TEMPLATE.format(
        command=command or "broadsheet edge vcl",
        backends="\n\n".join(defs),
        purgers="\n".join(f'    "{p}";' for p in purgers),
        adds="\n".join(adds),
        session_cookie=settings.SESSION_COOKIE_NAME,
        tracking=TRACKING_PATTERN.replace("\\w", "[a-z0-9_]"))
