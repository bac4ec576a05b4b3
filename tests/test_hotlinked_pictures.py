"""Until a wire picture arrives, the site may show it from the wire's own server: only if the
masthead allows it, with its size (no layout shift), and with the picture's origin let into
that response's Content-Security-Policy only."""

import io
import json

import pytest
from django.core.management import call_command
from wagtail.models import Site

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest.late_pictures import retry_due
from broadsheet.ingest.models import RemoteImage
from broadsheet.masthead.models import Masthead
from tests.picture_server import library_picture, seed_article_with_picture

ARTICLE_URI = "urn:broadsheet:seed:blinken-presses-iraq"


@pytest.fixture
def story(home, tmp_path, wire_server):
    """The seed's article, whose picture the wire's server refused at import."""
    server = wire_server(refuse=1)
    path = tmp_path / "article.json"
    path.write_text(json.dumps(seed_article_with_picture(server)))
    call_command("import", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    story = ArticlePage.objects.get(source_uri=ARTICLE_URI)
    story.server = server
    return story


def allow_hotlinking(allowed=True):
    masthead = Masthead.for_site(Site.objects.get(is_default_site=True))
    masthead.hotlink_wire_pictures = allowed
    masthead.save()


def img_src_of(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    return directive.split()[1:]


def test_off_by_default(client, story):
    response = client.get(story.url)
    html = response.content.decode()
    assert 'class="hero"' not in html and story.server.base not in html
    assert img_src_of(response) == ["'self'", "data:"]


def test_shown_with_its_size_and_its_origin_allowed_for_that_page_only(client, story):
    allow_hotlinking()
    response = client.get(story.url)
    html = response.content.decode()
    base = story.server.base
    hero = html.split('<figure class="hero">', 1)[1].split("</figure>", 1)[0]
    assert f'<img src="{base}/wire/blinken.jpg"' in hero
    # One picture at two widths; the square thumbnail is another crop, not offered.
    assert f'srcset="{base}/wire/blinken-640.jpg 640w, {base}/wire/blinken.jpg 1600w"' in hero
    assert "blinken-square" not in hero
    assert 'width="1600" height="900"' in hero  # the room is kept before it loads
    assert 'alt="Blinken and al-Sudani in Baghdad"' in hero
    assert "The Secretary of State meets the Prime Minister." in hero
    assert "Wire Photographer" in hero
    assert img_src_of(response) == ["'self'", "data:", base]
    # Link previews show what readers see.
    assert f'<meta property="og:image" content="{base}/wire/blinken.jpg">' in html
    assert f'<meta name="twitter:image" content="{base}/wire/blinken.jpg">' in html
    assert f'"image": ["{base}/wire/blinken.jpg"]' in html  # the NewsArticle's JSON-LD
    # No other page lets the wire's server in.
    for path in ("/", "/world/"):
        assert img_src_of(client.get(path)) == ["'self'", "data:"]
    # The page itself never fetched anything from the wire: readers' browsers do.
    assert story.server.requests["/wire/blinken.jpg"] == 1


def test_once_the_picture_arrives_it_is_the_librarys(client, story,
                                                    django_capture_on_commit_callbacks):
    allow_hotlinking()
    assert story.server.base in client.get(story.url).content.decode()
    remote = RemoteImage.objects.get(page=story, role="hero")
    with django_capture_on_commit_callbacks(execute=True):
        retry_due(now=remote.next_attempt_at)
    response = client.get(story.url)
    assert story.server.base not in response.content.decode()
    assert img_src_of(response) == ["'self'", "data:"]


def test_a_picture_an_editor_chose_is_shown_instead(client, story):
    allow_hotlinking()
    draft = story.get_latest_revision_as_object()
    draft.hero_image, draft.hero_alt = library_picture("Editor's pick"), "The editor's pick"
    draft.save_revision().publish()
    response = client.get(story.url)
    assert story.server.base not in response.content.decode()
    assert img_src_of(response) == ["'self'", "data:"]


@pytest.mark.parametrize("renditions", [
    [{"href": "https://pictures.example;script-src/x.jpg", "width": 1600, "height": 900,
      "contentType": "image/jpeg"}],
    [{"href": "https://pictures.example /x.jpg", "width": 1600, "height": 900}],
    [{"href": "https://user@pictures.example/x.jpg", "width": 1600, "height": 900}],
    [{"href": "javascript:alert(1)//x.jpg", "width": 1600, "height": 900}],
    [{"href": "https://pictures.example/x.jpg", "width": None, "height": None}],  # no size
    [{"href": "https://[::1]/x.jpg", "width": 1600, "height": 900}],
], ids=["directive", "space", "userinfo", "javascript", "unsized", "ipv6"])
def test_addresses_that_cannot_be_shown_safely_are_not(client, story, renditions):
    allow_hotlinking()
    RemoteImage.objects.filter(page=story).update(renditions=renditions)
    response = client.get(story.url)
    assert 'class="hero"' not in response.content.decode()
    assert img_src_of(response) == ["'self'", "data:"]


def test_an_https_site_shows_only_https_pictures(client, story, settings,
                                                 django_capture_on_commit_callbacks):
    allow_hotlinking()
    settings.BASE_URL = "https://news.example"
    assert 'class="hero"' not in client.get(story.url).content.decode()  # http: mixed content
    # The wire sends the story again with https renditions: published, so purged.
    with django_capture_on_commit_callbacks(execute=True):
        RemoteImage.objects.filter(page=story).update(renditions=[
            {"href": "https://pictures.example:8443/x.jpg", "width": 800, "height": 600}])
        story.save_revision().publish()
    response = client.get(story.url)
    assert '<img src="https://pictures.example:8443/x.jpg"' in response.content.decode()
    assert img_src_of(response) == ["'self'", "data:", "https://pictures.example:8443"]
