"""The site's icon: a site setting with a plain default made by `setup`, served at the addresses
browsers and phones ask for, cheaply, cached long and purged when an editor changes it."""

import io

import pytest
from django.core.management import call_command
from PIL import Image as PILImage

from broadsheet.masthead.icons import ensure_site_icons, initial
from broadsheet.masthead.models import Masthead
from tests.test_pagecache import fetch_bytes as fetch
from tests.test_pagecache import purges  # noqa: F401 (the fixture)


def picture(colour, size=(600, 600)):
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    return get_image_model().objects.create(title="Our icon",
                                            file=ImageFile(buffer, name="icon.png"))


def pixels(body: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(body))
    assert image.format == "PNG"
    return image.convert("RGB")


@pytest.fixture
def site(home):
    return home.get_site()


def test_setup_draws_a_plain_icon_with_the_sites_initial_once(site):
    site.site_name = "The Riverton Courier"
    site.save()
    call_command("setup", "--no-demo", stdout=io.StringIO())
    icon = Masthead.for_site(site).site_icon
    assert icon is not None and (icon.width, icon.height) == (512, 512)
    with icon.open_file() as fh:
        drawn = pixels(fh.read())
    # A solid colour with a white letter in the middle.
    background = drawn.getpixel((4, 4))
    assert background != (255, 255, 255)
    assert drawn.crop((0, 0, 512, 64)).getcolors() == [(512 * 64, background)]
    white = sum(n for n, rgb in drawn.getcolors(512 * 512) if rgb == (255, 255, 255))
    assert 512 * 512 * 0.03 < white < 512 * 512 * 0.3
    assert initial(site.site_name) == "R"  # the name's own initial, not the article's
    from wagtail.images import get_image_model

    images = get_image_model().objects.count()  # the icon, and the default share image
    ensure_site_icons()  # a second `setup`: nothing new
    assert get_image_model().objects.count() == images
    assert Masthead.for_site(site).site_icon_id == icon.pk


def test_an_editor_chosen_icon_is_kept(site):
    chosen = picture((10, 120, 60))
    masthead = Masthead.for_site(site)
    masthead.site_icon = chosen
    masthead.save()
    ensure_site_icons()
    assert Masthead.for_site(site).site_icon_id == chosen.pk


def test_favicon_and_touch_icon_are_served_at_their_sizes(client, site):
    masthead = Masthead.for_site(site)
    masthead.site_icon = picture((10, 120, 60), size=(800, 600))
    masthead.save()
    for path, size in (("/favicon.ico", 32), ("/apple-touch-icon.png", 180)):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "image/png"
        icon = pixels(response.content)
        assert icon.size == (size, size)  # cropped square, not squeezed
        assert icon.getpixel((size // 2, size // 2)) == (10, 120, 60)
        assert response["Cache-Control"] == "public, max-age=86400"
        again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304


def test_every_page_links_its_icons(client, site):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in html


def test_no_icon_is_a_404(client, site):
    assert client.get("/favicon.ico").status_code == 404


def test_icon_requests_cost_no_query_once_resolved(client, site, django_assert_num_queries):
    masthead = Masthead.for_site(site)
    masthead.site_icon = picture((10, 120, 60))
    masthead.save()
    assert client.get("/favicon.ico").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/favicon.ico").status_code == 200


def test_a_new_icon_is_served_at_once(client, site, app, purges):  # noqa: F811
    masthead = Masthead.for_site(site)
    masthead.site_icon = picture((10, 120, 60))
    masthead.save()
    status, headers, _ = fetch(app, "/favicon.ico")
    assert status == 200 and headers["X-Page-Cache"] == "miss"
    assert fetch(app, "/favicon.ico")[1]["X-Page-Cache"] == "hit"

    def change():
        masthead.site_icon = picture((200, 30, 30))
        masthead.save()

    purges(change)
    status, headers, _ = fetch(app, "/favicon.ico")
    assert headers["X-Page-Cache"] == "miss"  # purged from the page cache
    new = client.get("/favicon.ico")  # and no longer remembered by Django's cache
    assert pixels(new.content).getpixel((16, 16)) == (200, 30, 30)


def test_editors_choose_the_icon_in_the_masthead_settings(admin_client, site):
    serving = admin_client.get("/favicon.ico")  # resolved and remembered: none yet
    assert serving.status_code == 404
    chosen = picture((10, 120, 60))
    url = f"/admin/settings/masthead/masthead/{site.pk}/"
    assert "site_icon" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"tagline": "", "footer_text": "", "site_icon": chosen.pk})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Masthead.for_site(site).site_icon_id == chosen.pk
    assert pixels(admin_client.get("/favicon.ico").content).getpixel((16, 16)) == (10, 120, 60)
