"""Structured data and link previews, read back with extruct (an independent parser)."""

import io

import extruct
import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from broadsheet.articles.models import Byline, Correction
from broadsheet.people.models import Author

NEWS_ARTICLE_PROPERTIES = ["headline", "image", "datePublished", "dateModified", "author",
                           "publisher", "articleSection", "isAccessibleForFree",
                           "mainEntityOfPage"]


@pytest.fixture
def story(world, make_story):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), (30, 80, 120)).save(buffer, "JPEG")
    image = get_image_model().objects.create(title="Harbour",
                                             file=ImageFile(buffer, name="harbour.jpg"))
    story = make_story(world, "A story with </script><b>markup</b> in the headline",
                       hero_image=image, hero_alt="The harbour", tags=["Harbour"])
    Byline.objects.create(page=story, author=Author.objects.create(name="Imogen Reyes"))
    return story


def extract(client, url):
    html = client.get(url).content.decode()
    return html, extruct.extract(html, base_url="http://127.0.0.1:8000" + url,
                                 syntaxes=["json-ld", "opengraph"], uniform=True)


def test_news_article_has_every_required_and_recommended_property(client, story):
    _, data = extract(client, story.url)
    article = next(d for d in data["json-ld"] if d["@type"] == "NewsArticle")
    for prop in NEWS_ARTICLE_PROPERTIES:
        assert article.get(prop) not in (None, "", []), prop
    assert article["headline"] == story.title  # escaped safely, read back intact
    assert len(article["image"]) == 3 and all(u.startswith("http://127.0.0.1:8000/media/")
                                              for u in article["image"])
    assert article["author"] == [{"@type": "Person", "name": "Imogen Reyes",
                                  "url": "http://127.0.0.1:8000/authors/imogen-reyes/"}]
    assert article["publisher"]["@type"] == "Organization"
    assert article["publisher"]["logo"]["url"].endswith("logo.png")
    assert article["articleSection"] == "World"
    assert article["mainEntityOfPage"]["@id"] == story.full_url


def test_no_markup_breaks_out_of_the_json_ld(client, story):
    html, _ = extract(client, story.url)
    assert "</script><b>markup" not in html


def test_corrections_move_date_modified(client, story, django_capture_on_commit_callbacks):
    from django.utils import timezone

    _, before = extract(client, story.url)
    # As the editor adds one: with the story, published (which purges, at the commit).
    Correction.objects.create(page=story, text="Fixed a name.",
                              made_at=timezone.now() + timezone.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
    _, after = extract(client, story.url)
    modified = [next(d for d in x["json-ld"] if d["@type"] == "NewsArticle")["dateModified"]
                for x in (before, after)]
    assert modified[1] > modified[0]


def test_breadcrumbs(client, story):
    _, data = extract(client, story.url)
    crumbs = next(d for d in data["json-ld"] if d["@type"] == "BreadcrumbList")
    names = [i["name"] for i in crumbs["itemListElement"]]
    assert names[1:] == ["World", story.title]
    assert [i["position"] for i in crumbs["itemListElement"]] == [1, 2, 3]


def test_home_has_organization_and_website_with_search(client, story, home):
    _, data = extract(client, "/")
    types = {d["@type"]: d for d in data["json-ld"]}
    assert types["Organization"]["logo"]["url"].endswith("logo.png")
    action = types["WebSite"]["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert "{search_term_string}" in action["target"]["urlTemplate"]


def test_open_graph_on_the_story(client, story):
    html, data = extract(client, story.url)
    og = data["opengraph"][0]
    assert og["@type"] == "article"
    assert og["og:title"] == story.title
    assert og["og:url"] == story.full_url  # canonical, from the configured base URL
    assert f'<link rel="canonical" href="{story.full_url}">' in html
    assert og["og:image"].startswith("http://127.0.0.1:8000/media/")
    assert og["article:section"] == "World"
    assert '<meta name="twitter:card" content="summary_large_image">' in html


@pytest.mark.parametrize("path", ["/", "/world/", "/authors/imogen-reyes/", "/topics/harbour/",
                                  "/search/?q=harbour"])
def test_open_graph_on_every_page(client, story, path):
    _, data = extract(client, path)
    og = data["opengraph"][0]
    assert og["og:title"] and og["og:url"].startswith("http://127.0.0.1:8000/") and og["og:image"]


def test_drafts_never_appear_in_structured_data(client, story, world, make_story):
    make_story(world, "Secret draft", publish=False)
    for path in ("/", "/world/", story.url):
        html, _ = extract(client, path)
        assert "Secret draft" not in html
