vcl 4.1;
# Printed by `broadsheet edge vcl --backend 127.0.0.1:8000`, for Varnish 7 with varnish-modules (xkey).

import directors;
import xkey;

backend b0 {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    .probe = {
        .url = "/robots.txt";
        .interval = 2s;
        .timeout = 1s;
        .window = 5;
        .threshold = 3;
    }
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_init {
    new origin = directors.round_robin();
    origin.add_backend(b0);
}

sub vcl_recv {
    set req.backend_hint = origin.backend();
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purges are not taken from this address"));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "A purge names its tags in xkey-purge"));
        }
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purges are not taken from this address"));
        }
        ban("obj.status != 0");
        return (synth(200, "Banned everything"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(_/|admin/|accounts/|discussion/|comments/)"
            || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    set req.url = regsuball(req.url, "(?i)(?<=[?&])(?:utm_[a-z0-9_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|ttclid|igshid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|ref_src|s_cid)(?:=[^&]*)?(?:&|$)", "");
    set req.url = regsub(req.url, "[?&]$", "");
    unset req.http.Cookie;
    # Three copies of a page at most (brotli, gzip, neither), as Broadsheet stores them;
    # brotli whenever accepted. The choice is kept aside: Varnish rewrites Accept-Encoding to
    # gzip or nothing once this returns.
    if (req.http.Accept-Encoding ~ "(?i)\bbr\b" && req.http.Accept-Encoding
            !~ "(?i)\bbr\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$)") {
        set req.http.X-Accept-Encoding = "br";
    } elsif (req.http.Accept-Encoding ~ "(?i)\bgzip\b" && req.http.Accept-Encoding
            !~ "(?i)\bgzip\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$)") {
        set req.http.X-Accept-Encoding = "gzip";
    } else {
        unset req.http.X-Accept-Encoding;
    }
    return (hash);
}

sub vcl_hash {
    # Each copy is an object of its own: with http_gzip_support (the default) Varnish skips
    # Accept-Encoding when it matches Vary, meaning to gunzip one gzip copy for everyone.
    hash_data(req.http.X-Accept-Encoding);
}

sub vcl_backend_fetch {
    # Varnish asks the backend for gzip whatever the reader accepts: ask for the reader's
    # choice, so brotli readers get Broadsheet's brotli copy.
    if (bereq.http.X-Accept-Encoding) {
        set bereq.http.Accept-Encoding = bereq.http.X-Accept-Encoding;
    } elsif (bereq.uncacheable) {
        # a pass: what the reader sent (Broadsheet does not compress personal pages)
    } else {
        unset bereq.http.Accept-Encoding;
    }
    unset bereq.http.X-Accept-Encoding;
}

sub vcl_backend_response {
    set beresp.grace = 24h;
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=0(,|$)") {
        # A page a purge overtook while it rendered: kept a second, never served stale.
        set beresp.grace = 0s;
    }
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "private|no-store"
            || !beresp.http.Cache-Control) {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
}

sub vcl_deliver {
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Edge = "hit";
    } else {
        set resp.http.X-Edge = "miss";
    }
}
