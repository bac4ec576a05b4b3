"""The README's nginx setup, for real: Debian's nginx with a throwaway certificate terminating
TLS in front of `broadsheet serve`, configured from deploy/nginx/broadsheet.conf."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.serving import free_port, prepared_site, shell, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PUBLIC = "https://news.example.org"

STORY = """
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
home = HomePage.objects.get()
world = home.add_child(instance=SectionPage(title="World", slug="world"))
world.save_revision().publish()
story = world.add_child(instance=ArticlePage(title="Ferry timetable", slug="ferry-timetable"))
story.save_revision().publish()
"""


def nginx_config(tmp: Path, *, http_port: int, https_port: int, upstream: int) -> Path:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=news.example.org",
                    "-addext", "subjectAltName=DNS:news.example.org",
                    "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"],
                   check=True, capture_output=True, timeout=60)
    site = (ROOT / "deploy" / "nginx" / "broadsheet.conf").read_text()
    for shipped, here in [
            ("listen 80;", f"listen 127.0.0.1:{http_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
            ("/etc/letsencrypt/live/news.example.org/fullchain.pem", str(tmp / "cert.pem")),
            ("/etc/letsencrypt/live/news.example.org/privkey.pem", str(tmp / "key.pem")),
            ("http://127.0.0.1:8000;", f"http://127.0.0.1:{upstream};")]:
        assert shipped in site, shipped
        site = site.replace(shipped, here)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(f"""
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    return main


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    if not os.path.exists(NGINX):
        pytest.skip("Debian's nginx is not installed (make test installs it as root)")
    port, http_port, https_port = free_port(), free_port(), free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port)
    shell(env, STORY)
    env.update(BROADSHEET_BASE_URL=PUBLIC, BROADSHEET_ALLOWED_HOSTS="news.example.org",
               BROADSHEET_TRUSTED_PROXY="127.0.0.1")
    server = start_server(env, port, probe="/robots.txt",
                          headers={"Host": "news.example.org", "X-Forwarded-Proto": "https"})
    tmp = tmp_path_factory.mktemp("nginx")
    config = nginx_config(tmp, http_port=http_port, https_port=https_port, upstream=port)
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", https_port, timeout=1).connect()
            break
        except OSError:
            if nginx.poll() is not None:
                pytest.fail(f"nginx did not start: {nginx.stderr.read().decode()}")
            time.sleep(0.1)
    yield http_port, https_port, tmp / "cert.pem"
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(timeout=10)
    stop_server(server)


def over_tls(https_port: int, cert: Path, path: str):
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # connected by address; the certificate is still verified
    connection = http.client.HTTPSConnection("127.0.0.1", https_port, context=context,
                                             timeout=10)
    connection.request("GET", path, headers={"Host": "news.example.org"})
    response = connection.getresponse()
    return (response.status, [(k.lower(), v) for k, v in response.getheaders()],
            response.read().decode())


def test_https_through_nginx_serves_pages_at_the_public_address(proxied):
    _, https_port, cert = proxied
    for _ in range(2):  # rendered, then from the page cache: the same either way
        status, headers, html = over_tls(https_port, cert, "/world/ferry-timetable/")
        assert status == 200
        assert f'<link rel="canonical" href="{PUBLIC}/world/ferry-timetable/">' in html
        assert dict(headers)["strict-transport-security"] == "max-age=31536000"


def test_cookies_are_secure_through_nginx(proxied):
    _, https_port, cert = proxied
    status, headers, _ = over_tls(https_port, cert, "/accounts/login/")
    cookies = [v for k, v in headers if k == "set-cookie"]
    assert status == 200 and cookies
    assert all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


def test_plain_http_goes_to_https(proxied):
    http_port, _, _ = proxied
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    connection.request("GET", "/world/ferry-timetable/?from=mail",
                       headers={"Host": "news.example.org"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"{PUBLIC}/world/ferry-timetable/?from=mail"
