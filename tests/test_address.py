"""BROADSHEET_BASE_URL is the one public address: set up under one, restarted under another.

Everything runs for real: `broadsheet setup` under http://127.0.0.1:<port>, a story page served
and cached, then the server stopped and started again as https://news.example.org behind a
proxy on this machine. Every absolute URL the product writes must then name the new address,
whatever Host the request carried, and nothing may name 127.0.0.1 any more.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from xml.etree import ElementTree

import pytest

from tests.serving import BIN, free_port, get, prepared_site, shell, start_server, stop_server
from tests.testdata import SEED

PUBLIC = "https://news.example.org"

SCENE = """
import io
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage, Byline
from broadsheet.people.models import Author
home = HomePage.objects.get()
section = home.add_child(instance=SectionPage(title="World", slug="world"))
section.save_revision().publish()
buffer = io.BytesIO()
PILImage.new("RGB", (800, 450), (30, 80, 120)).save(buffer, "JPEG")
image = get_image_model().objects.create(title="Quay", file=ImageFile(buffer, name="quay.jpg"))
author = Author.objects.create(name="Ada Reporter", slug="ada-reporter")
story = ArticlePage(title="Harbour reopens", slug="harbour-reopens", dek="Boats are back.",
                    hero_image=image, hero_alt="The quay at dawn",
                    body=[("paragraph", "<p>The harbour reopened today.</p>")])
story.bylines.add(Byline(author=author))
section.add_child(instance=story)
story.tags.add("harbours")
story.save_revision().publish()
print(story.pk)
"""


def fetch(url: str, **headers: str):
    """GET with the given headers; redirects are not followed (they are what is tested)."""
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(Keep)
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """A site set up and served at http://127.0.0.1:<port>, then restarted as PUBLIC."""
    port = free_port()
    data = tmp_path_factory.mktemp("data")
    env = prepared_site(data, port)
    story_id = int(shell(env, SCENE).strip().splitlines()[-1])
    first = start_server(env, port, probe="/")
    local = f"http://127.0.0.1:{port}"
    status, headers, body = get(local + "/world/harbour-reopens/")
    assert status == 200 and f'href="{local}/world/harbour-reopens/"'.encode() in body
    get(local + "/world/harbour-reopens/")  # now in the page cache, naming the old address
    stop_server(first)

    env = {**env, "BROADSHEET_BASE_URL": PUBLIC, "BROADSHEET_TRUSTED_PROXY": "127.0.0.1",
           "BROADSHEET_ALLOWED_HOSTS": "127.0.0.1,news.example.org,internal.lan"}
    # The proxy reaches the server by an internal name and says the reader used HTTPS.
    behind_proxy = {"Host": "internal.lan", "X-Forwarded-Proto": "https",
                    "X-Forwarded-For": "203.0.113.9"}
    second = start_server(env, port, probe="/robots.txt", headers=behind_proxy)
    yield local, env, story_id, behind_proxy
    stop_server(second)


OUTPUTS = [
    "/", "/world/", "/world/harbour-reopens/", "/authors/ada-reporter/", "/robots.txt",
    "/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json", "/feeds/section/world/rss.xml",
    "/feeds/author/ada-reporter/atom.xml", "/feeds/topic/harbours/feed.json",
    "/sitemap.xml", "/sitemap-sections.xml", "/sitemap-news.xml", "/ninjs/stories.json",
]


@pytest.mark.parametrize("path", OUTPUTS)
def test_every_output_names_the_configured_address_after_a_restart(moved, path):
    local, _, _, proxy = moved
    status, _, body = fetch(local + path, **proxy)
    assert status == 200, body[:300]
    text = body.decode()
    assert "127.0.0.1" not in text and "internal.lan" not in text
    assert f"{PUBLIC}/" in text


def test_story_page_links_and_structured_data(moved):
    local, _, story_id, proxy = moved
    _, _, body = fetch(local + "/world/harbour-reopens/", **proxy)
    html = body.decode()
    canonical = f"{PUBLIC}/world/harbour-reopens/"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    assert re.search(rf'<meta property="og:image" content="{PUBLIC}/media/[^"]+">', html)
    graphs = [json.loads(m) for m in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    article = next(g for g in graphs if g.get("@type") == "NewsArticle")
    assert article["url"] == canonical and article["mainEntityOfPage"]["@id"] == canonical
    assert all(u.startswith(f"{PUBLIC}/media/") for u in article["image"])
    assert article["author"][0]["url"] == f"{PUBLIC}/authors/ada-reporter/"

    _, _, body = fetch(f"{local}/ninjs/stories/{story_id}.json", **proxy)
    item = json.loads(body)
    assert item["uri"] == f"{PUBLIC}/ninjs/stories/{story_id}.json"
    assert {"name": "web", "href": canonical, "contentType": "text/html"} in item["renditions"]


def test_sitemaps_name_the_address_down_to_the_pictures(moved):
    local, _, _, proxy = moved
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
          "i": "http://www.google.com/schemas/sitemap-image/1.1"}
    index = ElementTree.fromstring(fetch(local + "/sitemap.xml", **proxy)[2])
    locs = [e.text for e in index.findall("s:sitemap/s:loc", ns)]
    assert locs and all(loc.startswith(f"{PUBLIC}/sitemap") for loc in locs)
    month = next(loc for loc in locs if "-stories-world-" in loc)
    tree = ElementTree.fromstring(fetch(local + month.removeprefix(PUBLIC), **proxy)[2])
    assert [e.text for e in tree.findall("s:url/s:loc", ns)] == [
        f"{PUBLIC}/world/harbour-reopens/"]
    assert tree.find("s:url/i:image/i:loc", ns).text.startswith(f"{PUBLIC}/media/")


def test_plain_http_is_redirected_to_the_public_address(moved):
    local, _, _, proxy = moved
    status, headers, _ = fetch(local + "/world/harbour-reopens/?ref=x", Host="internal.lan")
    assert status == 301 and headers["location"] == f"{PUBLIC}/world/harbour-reopens/?ref=x"
    # The page is in the cache by now: a cached page is not served over plain HTTP either.
    assert fetch(local + "/world/harbour-reopens/", **proxy)[0] == 200
    status, headers, _ = fetch(local + "/world/harbour-reopens/", Host="internal.lan")
    assert status == 301 and headers["location"] == f"{PUBLIC}/world/harbour-reopens/"


def test_https_answers_carry_hsts_and_secure_cookies(moved):
    local, _, _, proxy = moved
    status, headers, _ = fetch(local + "/accounts/login/", **proxy)
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000"
    cookie = headers["set-cookie"]
    assert "csrftoken=" in cookie
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax"))


def test_hosts_not_allowed_still_get_400(moved):
    local, _, _, proxy = moved
    assert fetch(local + "/", **{**proxy, "Host": "evil.example"})[0] == 400
    assert fetch(local + "/world/harbour-reopens/", **{**proxy, "Host": "evil.example"})[0] == 400


def test_import_reports_stories_at_the_public_address(moved):
    _, env, _, _ = moved
    out = subprocess.run([BIN, "import", "--section", "World", "--no-fetch",
                          str(SEED / "related.ninjs.json")],
                         env=env, check=True, capture_output=True, text=True, timeout=120).stdout
    line = next(line for line in out.splitlines() if line.startswith("imported "))
    assert line.split()[1].startswith(f"{PUBLIC}/world/"), line


# In-process: what the e-mails and the admin say once the address has changed --------------

@pytest.fixture
def deployed(settings, home):
    """The test site moved to PUBLIC, as a restart under it does (follow_base_url)."""
    from broadsheet.masthead.address import follow_base_url

    settings.BASE_URL = settings.WAGTAILADMIN_BASE_URL = PUBLIC
    assert follow_base_url() is True
    assert follow_base_url() is False  # nothing more to change at the next start
    return home


def test_account_emails_link_to_the_public_address(client, deployed):
    from django.core import mail

    client.post("/accounts/signup/", {
        "email": "new@example.org", "password1": "a-fresh-pass-9876",
        "password2": "a-fresh-pass-9876", "display_name": "River Watcher"},
        HTTP_HOST="internal.lan")
    message = mail.outbox[-1]
    assert f"{PUBLIC}/accounts/confirm-email/" in message.body
    assert message.subject.startswith("[Broadsheet] ")
    for text in (message.subject, message.body):
        assert "internal.lan" not in text and "testserver" not in text


def test_admin_links_to_live_pages_never_name_the_request_host(client, deployed, make_section,
                                                               make_story, django_user_model):
    """With one site Wagtail links live pages by path, so they follow the host the editor
    uses; its e-mails (workflow notifications) use WAGTAILADMIN_BASE_URL, the public address."""
    from django.conf import settings

    world = make_section("World")
    story = make_story(world, "Harbour reopens")
    admin = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw-12345678")
    client.force_login(admin)
    assert settings.WAGTAILADMIN_BASE_URL == PUBLIC
    for screen in (f"/admin/pages/{story.pk}/edit/", f"/admin/pages/{world.pk}/"):
        html = client.get(screen, HTTP_HOST="internal.lan").content.decode()
        links = set(re.findall(rf'href="([^"]*/world/{story.slug}/)"', html))
        assert links and links <= {f"/world/{story.slug}/", f"{PUBLIC}/world/{story.slug}/"}
    assert story.full_url == f"{PUBLIC}/world/{story.slug}/"


def test_a_base_url_with_a_path_or_no_scheme_is_refused_naming_the_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from broadsheet.settings.env import env_base_url

    for bad in ("news.example.org", "https://news.example.org/news", "ftp://news.example.org",
                "https://news.example.org:port", "https://news.example.org/?x=1"):
        monkeypatch.setenv("BROADSHEET_BASE_URL", bad)
        with pytest.raises(ImproperlyConfigured, match=r"^BROADSHEET_BASE_URL="):
            env_base_url("BROADSHEET_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("BROADSHEET_BASE_URL", "https://News.Example.org:8443/")
    assert env_base_url("BROADSHEET_BASE_URL", "") == "https://news.example.org:8443"


def test_an_https_address_on_another_port_is_named_exactly(settings, deployed, client,
                                                           make_section, make_story):
    """Wagtail's Site can only say http:// for a port other than 443."""
    from broadsheet.masthead.address import follow_base_url

    settings.BASE_URL = "https://news.example.org:8443"
    follow_base_url()
    story = make_story(make_section("World"))
    html = client.get(story.url).content.decode()
    assert f'<link rel="canonical" href="https://news.example.org:8443{story.url}">' in html
