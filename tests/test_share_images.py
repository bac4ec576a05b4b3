"""Every page has a share image: in JSON-LD `image`, `og:image` and `twitter:image`.

A story's own picture, else its section's share image, else the site's default; `setup` draws
a plain default from the site's name. Read back with extruct, an independent parser.
"""

import io

import extruct
import pytest
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.models import Site

from broadsheet.articles.models import ArticlePage
from broadsheet.masthead.models import Masthead
from broadsheet.masthead.share_image import DRAWN
from broadsheet.pagecache import store
from tests.picture_server import library_picture
from tests.testdata import SEED

ARTICLE_URI = "urn:broadsheet:seed:blinken-presses-iraq"


def previews(client, url) -> dict:
    """The page's NewsArticle images (if any), og:image and twitter:image."""
    html = client.get(url).content.decode()
    data = extruct.extract(html, base_url="http://testserver" + url,
                           syntaxes=["json-ld", "opengraph"], uniform=True)
    article = next((d for d in data["json-ld"] if d["@type"] == "NewsArticle"), {})
    twitter = html.split('<meta name="twitter:image" content="', 1)[1].split('"', 1)[0] \
        if 'name="twitter:image"' in html else None
    return {"json-ld": article.get("image"), "og": data["opengraph"][0].get("og:image"),
            "twitter": twitter}


def rendition_of(url: str, image) -> bool:
    """Whether `url` is one of this library image's renditions."""
    stem = image.file.name.rsplit("/", 1)[1].rsplit(".", 1)[0]
    return url.startswith("http://127.0.0.1:8000/media/images/") and \
        url.rsplit("/", 1)[1].split(".")[0] == stem


@pytest.fixture
def seed_story(home):
    """The seed's article, imported as the wire sends it: with no picture at all."""
    call_command("import", str(SEED / "article.ninjs.json"), stdout=io.StringIO(),
                 stderr=io.StringIO())
    return ArticlePage.objects.get(source_uri=ARTICLE_URI)


@pytest.fixture
def site_default(home):
    masthead = Masthead.for_site(Site.objects.get(is_default_site=True))
    masthead.default_share_image = library_picture("Site default", colour="maroon")
    masthead.save()
    return masthead.default_share_image


def test_a_story_without_a_picture_shares_the_sites_default(client, seed_story, site_default):
    found = previews(client, seed_story.url)
    assert len(found["json-ld"]) == 3  # 16:9, 4:3 and 1:1, as Google asks
    assert all(rendition_of(u, site_default) for u in found["json-ld"])
    assert found["og"] == found["twitter"] == found["json-ld"][0]


def test_the_sections_share_image_comes_before_the_sites(client, seed_story, site_default,
                                                         django_capture_on_commit_callbacks):
    section = seed_story.get_parent().specific
    section.share_image = library_picture("World desk", colour="olive")
    section.save_revision().publish()
    found = previews(client, seed_story.url)
    assert all(rendition_of(u, section.share_image) for u in found["json-ld"])
    assert found["og"] == found["twitter"] == found["json-ld"][0]
    # The section page itself is shared with it too; other pages with the site's.
    assert rendition_of(previews(client, section.url)["og"], section.share_image)
    assert rendition_of(previews(client, "/")["twitter"], site_default)

    # A picture a published page shows cannot be deleted (articles/pictures_in_use.py); taken
    # off the section, the site's default is shared again.
    section.share_image = None
    with django_capture_on_commit_callbacks(execute=True):  # its purge, at the commit
        section.save_revision().publish()
    found = previews(client, seed_story.url)
    assert all(rendition_of(u, site_default) for u in found["json-ld"])


def test_the_storys_own_picture_comes_first(client, seed_story, site_default):
    own = library_picture("Baghdad")
    draft = seed_story.get_latest_revision_as_object()
    draft.hero_image, draft.hero_alt = own, "Blinken in Baghdad"
    draft.save_revision().publish()
    found = previews(client, seed_story.url)
    assert all(rendition_of(u, own) for u in found["json-ld"])
    assert found["og"] == found["twitter"] == found["json-ld"][0]


@pytest.mark.parametrize("path", ["/", "/world/", "/search/?q=Iraq", "/topics/iraq/"])
def test_every_page_has_og_and_twitter_images(client, seed_story, site_default, path):
    found = previews(client, path)
    assert found["og"] == found["twitter"] and rendition_of(found["og"], site_default)


def test_with_no_share_image_at_all_the_logo_stands_in(client, seed_story):
    found = previews(client, seed_story.url)
    assert found["json-ld"] == ["http://127.0.0.1:8000/static/broadsheet/logo.png"]
    assert found["og"] == found["twitter"] == "http://127.0.0.1:8000/static/broadsheet/logo.png"


def test_changing_the_masthead_purges_cached_pages(client, seed_story, site_default,
                                                   django_capture_on_commit_callbacks):
    client.get(seed_story.url)
    key = store.key_for("testserver", seed_story.url, "")
    assert store.load(store.root(), key) is not None
    masthead = Masthead.for_site(Site.objects.get(is_default_site=True))
    with django_capture_on_commit_callbacks(execute=True):
        masthead.default_share_image = library_picture("A new default")
        masthead.save()
    assert store.load(store.root(), key) is None
    assert all(rendition_of(u, masthead.default_share_image)
               for u in previews(client, seed_story.url)["json-ld"])


def test_setup_draws_a_default_from_the_site_name(client, seed_story):
    site = Site.objects.get(is_default_site=True)
    site.site_name = "The Lisbon Ledger"
    site.save()
    out = io.StringIO()
    call_command("draw_share_image", stdout=out)
    image = Masthead.for_site(site).default_share_image
    assert out.getvalue() == f"drew '{DRAWN}The Lisbon Ledger'\n"
    assert (image.width, image.height) == (1200, 630)
    with image.open_file() as f, PILImage.open(f) as drawn:
        assert drawn.format == "PNG"
        colours = {colour for _, colour in drawn.convert("RGB").getcolors(1200 * 630)}
    assert (255, 255, 255) in colours and (26, 26, 26) in colours  # ink on paper, not blank
    assert all(rendition_of(u, image) for u in previews(client, seed_story.url)["json-ld"])

    call_command("draw_share_image", stdout=out)  # again: nothing to do
    assert Masthead.for_site(site).default_share_image == image

    site.site_name = "The Porto Post"  # renamed: the drawn picture follows
    site.save()
    call_command("draw_share_image", stdout=io.StringIO())
    redrawn = Masthead.for_site(site).default_share_image
    assert redrawn != image and redrawn.title == DRAWN + "The Porto Post"


def test_setup_leaves_a_chosen_default_alone(seed_story, site_default):
    call_command("draw_share_image", stdout=io.StringIO())
    site = Site.objects.get(is_default_site=True)
    assert Masthead.for_site(site).default_share_image == site_default


def test_long_and_non_latin_names_are_drawn_within_the_picture():
    from broadsheet.masthead.share_image import draw

    for name in ("The Very Long Name of a Regional Newspaper of Record and Its Many Valleys",
                 "Übersee-Zeitung", "Gazeta Wyborcza", "A" * 300):
        with PILImage.open(io.BytesIO(draw(name))) as picture:
            assert picture.size == (1200, 630)
            # Nothing is drawn in the side margins: the words fit.
            margins = picture.convert("L").crop((0, 0, 60, 630)).getextrema()
            assert margins == (255, 255), name


def test_a_share_image_given_a_new_file_is_shared_anew(client, seed_story, site_default):
    from django.core.files.images import ImageFile

    from tests.picture_server import jpeg

    assert all(rendition_of(u, site_default) for u in previews(client, seed_story.url)["json-ld"])
    # What the image library's edit form does when an editor uploads a new file.
    site_default.file = ImageFile(io.BytesIO(jpeg((1400, 800), "grey")), name="replaced.jpg")
    site_default.renditions.all().delete()
    site_default.save()
    store.purge_all()
    site_default.refresh_from_db()
    assert site_default.file.name.endswith(".jpg") and "replaced" in site_default.file.name
    assert all(rendition_of(u, site_default) for u in previews(client, seed_story.url)["json-ld"])


def test_editors_set_share_images_and_hotlinking_in_the_admin(client, admin_user, seed_story):
    client.force_login(admin_user)
    site = Site.objects.get(is_default_site=True)
    html = client.get(f"/admin/settings/masthead/masthead/{site.pk}/").content.decode()
    assert 'name="default_share_image"' in html and 'name="hotlink_wire_pictures"' in html
    section = seed_story.get_parent()
    html = client.get(f"/admin/pages/{section.pk}/edit/").content.decode()
    assert 'name="share_image"' in html
