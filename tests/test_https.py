"""HTTPS deployments are secure by default: the deploy check is clean, plain HTTP goes to
HTTPS, and X-Forwarded-* headers are believed only from the configured proxy."""

from __future__ import annotations

import os
import subprocess

import pytest

from broadsheet.proxy import wrap
from tests.serving import BIN


def embedded(tmp_path, **env: str) -> dict:
    """The environment of an embedded site in `tmp_path`, whatever profile the suite runs."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
                                "DJANGO_ALLOW_ASYNC_UNSAFE")}  # set by the browser tests
    return {**environment, "BROADSHEET_DATA_DIR": str(tmp_path), **env}


def run_check(tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = embedded(tmp_path, BROADSHEET_ALLOWED_HOSTS="news.example.org",
                           BROADSHEET_SECRET_KEY="k" * 20 + "-a-long-random-looking-secret-9f3a",
                           **env)
    return subprocess.run([BIN, "check", "--deploy", "--fail-level", "WARNING"],
                          env=environment, capture_output=True, text=True, timeout=120)


def test_deploy_check_is_clean_for_an_https_address(tmp_path):
    done = run_check(tmp_path, BROADSHEET_BASE_URL="https://news.example.org")
    assert done.returncode == 0, done.stdout + done.stderr
    # The check is really looking: switching HSTS off is reported.
    done = run_check(tmp_path, BROADSHEET_BASE_URL="https://news.example.org",
                     BROADSHEET_HSTS_SECONDS="0")
    assert done.returncode != 0 and "security.W004" in done.stdout + done.stderr


def settings_under(tmp_path, code: str, **env: str) -> str:
    environment = embedded(tmp_path, **env)
    return subprocess.run([BIN, "shell", "-c", f"from django.conf import settings as s; {code}"],
                          env=environment, capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip().splitlines()[-1]


def test_https_settings_follow_the_address_and_the_variables(tmp_path):
    show = ("print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
            " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
            " s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)")
    assert settings_under(tmp_path, show, BROADSHEET_BASE_URL="https://news.example.org") == \
        "True 31536000 False False True True True True Lax"
    assert settings_under(tmp_path, show, BROADSHEET_BASE_URL="http://127.0.0.1:8000") == \
        "False 0 False False False False True True Lax"
    assert settings_under(tmp_path, show, BROADSHEET_BASE_URL="https://news.example.org",
                          BROADSHEET_HSTS_SECONDS="600",
                          BROADSHEET_HSTS_INCLUDE_SUBDOMAINS="yes",
                          BROADSHEET_HSTS_PRELOAD="yes").startswith("True 600 True True ")


# The front door itself, in front of a small WSGI application that shows what reached it ----

def seen_by_the_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['wsgi.url_scheme']} {environ.get('REMOTE_ADDR')} "
            f"{environ.get('HTTP_X_FORWARDED_PROTO', '-')}".encode()]


def call(app, path="/world/", query="", **environ):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1", **environ}
    answer = {}

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body.decode()


@pytest.fixture
def https_site(settings):
    settings.BASE_URL = "https://news.example.org"
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]


def test_the_trusted_proxy_says_https_and_who_the_reader_is(https_site):
    app = wrap(seen_by_the_app)
    status, _, body = call(app, HTTP_X_FORWARDED_PROTO="https",
                           HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9, 10.1.2.3")
    # 10.1.2.3 is one of our proxies; 198.51.100.7 was written by the reader's side.
    assert status == "200 OK" and body == "https 203.0.113.9 https"


def test_forged_forwarded_headers_from_the_internet_are_dropped(https_site):
    app = wrap(seen_by_the_app)
    status, headers, _ = call(app, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_PROTO="https",
                              HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert status == "301 Moved Permanently"
    assert headers["Location"] == "https://news.example.org/world/"


def test_without_a_trusted_proxy_nobody_is_believed(settings):
    settings.TRUSTED_PROXIES = []
    settings.SECURE_SSL_REDIRECT = False
    status, _, body = call(wrap(seen_by_the_app), HTTP_X_FORWARDED_PROTO="https",
                           HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert body == "http 127.0.0.1 -"


def test_plain_http_is_redirected_with_its_path_and_query(https_site):
    status, headers, _ = call(wrap(seen_by_the_app), path="/caf\xc3\xa9/", query="q=1&p=2")
    assert status == "301 Moved Permanently"
    assert headers["Location"] == "https://news.example.org/caf%C3%A9/?q=1&p=2"


def test_a_trusted_proxy_list_with_a_typo_stops_start_up(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["10.0.0.300"]
    with pytest.raises(ImproperlyConfigured, match="BROADSHEET_TRUSTED_PROXY: '10.0.0.300'"):
        wrap(seen_by_the_app)
