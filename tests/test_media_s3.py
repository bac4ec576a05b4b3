"""Media on an S3-compatible store: pictures, renditions and documents go to a bucket every
host shares, and pages link them at the store's address.

The store is SeaweedFS, a real one, started by tests/s3_server.py; nothing is mocked. The
settings' parsing is tested on its own first (no store needed).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import urllib.request
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from broadsheet.articles.models import ArticlePage
from broadsheet.mediastore import MediaStore
from broadsheet.pagecache.store import purge_all
from broadsheet.settings.media import CACHE_CONTROL, media_store
from tests.picture_server import jpeg, library_picture, seed_article_with_picture
from tests.serving import BIN, free_port, get, prepared_site, site_env, start_server, stop_server

# Settings ---------------------------------------------------------------------------------

SECRET = "wJalr/XUtn+FEMI@K7MDENG"
URL = "BROADSHEET_MEDIA_S3_URL"


def test_without_a_store_media_stay_local_files(settings):
    assert media_store({}) is None
    assert settings.BROADSHEET_MEDIA_S3 is None
    assert settings.STORAGES["default"]["BACKEND"] == \
        "django.core.files.storage.FileSystemStorage"
    assert settings.MEDIA_URL == "/media/"


def test_one_url_names_the_store_its_keys_and_where_media_are_served():
    store = media_store({URL: "s3://AKIA1:wJalr%2FX%2BY%40Z@store.internal:8333/news-media"
                              "?region=garage&secure=false"
                              "&public_url=https://media.example.org/&acl=public-read"})
    assert (store.bucket, store.endpoint, store.region) == \
        ("news-media", "http://store.internal:8333", "garage")
    assert (store.access_key, store.secret_key) == ("AKIA1", "wJalr/X+Y@Z")
    assert store.public_url == "https://media.example.org"
    assert store.origin == "https://media.example.org"
    assert "wJalr" not in repr(store)
    options = store.storage()["OPTIONS"]
    assert options["querystring_auth"] is False and options["default_acl"] == "public-read"
    assert options["object_parameters"] == {"CacheControl": CACHE_CONTROL}
    assert options["addressing_style"] == "path"
    assert (options["url_protocol"], options["custom_domain"]) == ("https:", "media.example.org")


def test_separate_variables_fill_in_or_override_the_url():
    store = media_store({URL: "s3://store.internal/news-media",
                         "BROADSHEET_MEDIA_S3_ACCESS_KEY": "AKIA2",
                         "BROADSHEET_MEDIA_S3_SECRET_KEY": SECRET,
                         "BROADSHEET_MEDIA_S3_PUBLIC_URL": "https://cdn.example.org/media"})
    assert store.endpoint == "https://store.internal"  # secure unless told otherwise
    assert (store.access_key, store.secret_key) == ("AKIA2", SECRET)
    assert store.public_url == "https://cdn.example.org/media"
    assert store.storage()["OPTIONS"]["custom_domain"] == "cdn.example.org/media"


def test_on_aws_itself_media_are_served_from_the_buckets_own_host():
    store = media_store({"BROADSHEET_MEDIA_S3_BUCKET": "courier-media",
                         "BROADSHEET_MEDIA_S3_REGION": "eu-west-1"})
    assert store.endpoint is None and store.access_key is None  # boto3's own credentials
    assert store.public_url == "https://courier-media.s3.eu-west-1.amazonaws.com"
    assert store.storage()["OPTIONS"]["addressing_style"] is None
    dotted = media_store({"BROADSHEET_MEDIA_S3_BUCKET": "media.courier.example"})
    assert dotted.public_url == "https://s3.us-east-1.amazonaws.com/media.courier.example"


@pytest.mark.parametrize(("environ", "named", "says"), [
    ({URL: "https://store.internal/media"}, URL, "must be s3://"),
    ({URL: "s3://store.internal"}, URL, "one bucket"),
    ({URL: "s3://store.internal/media/pictures"}, URL, "one bucket"),
    ({URL: "s3://store.internal:port/media"}, URL, "not a URL"),
    ({URL: f"s3://AKIA3:{SECRET}@store.internal/media"}, URL, "percent-encode"),
    ({URL: "s3://store.internal/media?secure=maybe"}, URL, "not a boolean"),
    ({URL: "s3://store.internal/media?region=x&bucket=y"}, URL, "unknown parameter bucket"),
    ({URL: "s3://store.internal/Media_Bucket"}, URL, "not a bucket name"),
    ({URL: "s3://store.internal/media?region=eu west"}, URL, "not a region"),
    ({URL: "s3://store.internal/media?acl=private"}, URL, "public-read"),
    ({URL: "s3://AKIA3@store.internal/media"}, URL, "go together"),
    ({"BROADSHEET_MEDIA_S3_ENDPOINT": "https://store.internal"},
     "BROADSHEET_MEDIA_S3_ENDPOINT", "no bucket"),
    ({"BROADSHEET_MEDIA_S3_BUCKET": "media", "BROADSHEET_MEDIA_S3_ENDPOINT": "store.internal"},
     "BROADSHEET_MEDIA_S3_ENDPOINT", "http:// or https://"),
    ({"BROADSHEET_MEDIA_S3_BUCKET": "media",
      "BROADSHEET_MEDIA_S3_ENDPOINT": "https://store.internal/media"},
     "BROADSHEET_MEDIA_S3_ENDPOINT", "only scheme and host"),
    ({"BROADSHEET_MEDIA_S3_BUCKET": "media", "BROADSHEET_MEDIA_S3_SECRET_KEY": SECRET},
     "BROADSHEET_MEDIA_S3_ACCESS_KEY", "go together"),
    ({URL: f"s3://AKIA3:{SECRET.replace('/', '%2F')}@store.internal/media?public_url=cdn"},
     "BROADSHEET_MEDIA_S3_URL", "http:// or https://"),
    ({"BROADSHEET_MEDIA_S3_BUCKET": "media",
      "BROADSHEET_MEDIA_S3_PUBLIC_URL": "https://cdn.example.org/?v=1"},
     "BROADSHEET_MEDIA_S3_PUBLIC_URL", "only scheme and host"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(environ, named, says):
    with pytest.raises(ImproperlyConfigured) as refused:
        media_store(environ)
    message = str(refused.value)
    assert named in message and says in message, message
    assert "wJalr" not in message  # the secret is never shown


def test_a_bad_value_stops_the_console_script_without_showing_the_secret(tmp_path):
    secret = SECRET.replace("/", "%2F").replace("+", "%2B").replace("@", "%40")
    env = site_env(tmp_path / "data",
                   BROADSHEET_MEDIA_S3_URL=f"s3://AKIA4:{secret}@store.internal/Media_Bucket")
    ran = subprocess.run([BIN, "check"], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0
    assert "BROADSHEET_MEDIA_S3_URL: 'Media_Bucket' is not a bucket name" in ran.stderr
    assert "wJalr" not in ran.stderr + ran.stdout


def test_a_unique_name_still_fits_the_field():
    storage = MediaStore(**media_store({URL: "s3://store.internal/media"}).storage()["OPTIONS"])
    name = storage.get_available_name("original_images/" + "a" * 80 + ".jpg", max_length=100)
    assert len(name) == 100 and re.fullmatch(r"original_images/a+_[0-9a-f]{8}\.jpg", name)
    assert storage.get_available_name("images/x.jpg") != storage.get_available_name(
        "images/x.jpg")


# The store --------------------------------------------------------------------------------

@pytest.fixture
def media_on_s3(s3_server, db, settings, tmp_path):
    """This test's site keeps its media in a bucket of its own, configured as
    BROADSHEET_MEDIA_S3_URL configures it; its local media folder must stay empty."""
    bucket = s3_server.new_bucket()
    store = media_store(s3_server.environ(bucket))
    settings.BROADSHEET_MEDIA_S3 = store
    settings.STORAGES = {**settings.STORAGES, "default": store.storage()}
    settings.MEDIA_URL = store.public_url + "/"
    settings.MEDIA_ROOT = tmp_path / "media"
    policy = settings.CONTENT_SECURITY_POLICY
    directives = policy["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": {
        **directives, "img-src": [*directives["img-src"], store.origin]}}
    s3 = s3_server.client()
    yield SimpleNamespace(
        bucket=bucket, public_url=store.public_url, origin=store.origin, s3=s3,
        storage=store.storage,
        objects=lambda: {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])})
    assert not settings.MEDIA_ROOT.exists(), "media were written to local files"


def fetch(url: str) -> tuple[int, dict, bytes]:
    """Status, headers (lower-case names) and body; a first render that makes renditions on a
    machine busy with other tests may take a while."""
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (loopback only)
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


def pictures_in(html: str) -> list[str]:
    """Every picture address a page shows (img src and each srcset candidate), but the
    view-counting pixel."""
    found = re.findall(r'<img [^>]*?src="([^"]+)"', html)
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        found += [candidate.split()[0] for candidate in srcset.split(",")]
    return [url for url in found if not url.startswith("/_/")]


def test_a_picture_uploaded_in_the_admin_goes_to_the_bucket(media_on_s3, admin_client):
    out = io.BytesIO()
    PILImage.new("RGB", (640, 400), "olive").save(out, "PNG")
    answer = admin_client.post(reverse("wagtailimages:add"), {
        "title": "Flood at the weir", "collection": Collection.get_first_root_node().pk,
        "tags": "", "file": SimpleUploadedFile("weir.png", out.getvalue(), "image/png")})
    assert answer.status_code == 302
    image = get_image_model().objects.get(title="Flood at the weir")
    assert (image.width, image.height) == (640, 400)
    stored = media_on_s3.s3.get_object(Bucket=media_on_s3.bucket, Key=image.file.name)
    assert stored["Body"].read() == out.getvalue()
    assert stored["CacheControl"] == CACHE_CONTROL
    assert stored["ContentType"] == "image/png"


def test_a_story_links_its_renditions_at_the_store_which_serves_them(
        media_on_s3, client, world, make_story):
    picture = library_picture("Harbour at dawn", size=(1600, 900))
    story = make_story(world, hero_image=picture, hero_alt="Boats at the harbour wall")
    answer = client.get(story.url)
    html = answer.content.decode()
    shown = pictures_in(html)
    assert shown and all(url.startswith(media_on_s3.public_url + "/images/") for url in shown)
    assert media_on_s3.origin in answer["Content-Security-Policy"]
    for url in set(shown):
        status, headers, body = fetch(url)
        key = url.removeprefix(media_on_s3.public_url + "/")
        assert status == 200 and headers["cache-control"] == CACHE_CONTROL
        assert body == media_on_s3.s3.get_object(Bucket=media_on_s3.bucket,
                                                 Key=key)["Body"].read()
        with PILImage.open(io.BytesIO(body)) as seen:
            assert seen.width in (480, 800, 1200)
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    assert og_image.startswith(media_on_s3.public_url) and fetch(og_image)[0] == 200


def test_a_picture_one_host_uploaded_renders_on_another(
        media_on_s3, settings, tmp_path, client, world, make_story):
    picture = library_picture("Council chamber", size=(1200, 800))
    story = make_story(world, hero_image=picture, hero_alt="The chamber before the vote")
    first = pictures_in(client.get(story.url).content.decode())
    # Another host: its own data directory and storage object, nothing of the first one's in
    # memory; only the database and the bucket are shared.
    settings.MEDIA_ROOT = tmp_path / "host-2" / "media"
    settings.STORAGES = {**settings.STORAGES, "default": media_on_s3.storage()}
    client.cookies.clear()
    purge_all()
    from django.core.cache import cache

    cache.clear()
    again = pictures_in(client.get(story.url).content.decode())
    assert again == first
    # A rendition no host has made yet is made here, from the original in the bucket.
    square = get_image_model().objects.get(pk=picture.pk).get_rendition(
        "fill-300x300|format-jpeg")
    status, _, body = fetch(square.url)
    with PILImage.open(io.BytesIO(body)) as seen:
        assert status == 200 and seen.size == (300, 300)
    assert square.file.name in media_on_s3.objects()
    assert not (tmp_path / "host-2").exists()


def test_names_are_never_reused_so_objects_can_be_cached_for_good(media_on_s3):
    first = library_picture("Same name")
    second = library_picture("Same name", colour="maroon")
    assert first.file.name != second.file.name
    assert {first.file.name, second.file.name} <= media_on_s3.objects()
    assert fetch(first.file.url)[2] == jpeg((1600, 900), "navy")


def test_a_document_is_kept_in_the_bucket_and_served_from_it(media_on_s3, client):
    content = b"%PDF-1.4\n% the council's budget\n"
    document = get_document_model().objects.create(
        title="Budget 2027", file=ContentFile(content, name="budget-2027.pdf"))
    assert document.file.name in media_on_s3.objects()
    answer = client.get(document.url)
    # Wagtail checks the document's privacy, then sends the reader to the store.
    assert answer.status_code == 302
    assert answer["Location"].startswith(media_on_s3.public_url + "/documents/")
    status, headers, body = fetch(answer["Location"])
    assert (status, body) == (200, content)
    assert headers["content-type"] == "application/pdf"


def test_a_wire_picture_fetched_at_import_goes_to_the_bucket(media_on_s3, home, wire_server,
                                                              tmp_path):
    item = tmp_path / "article.json"
    item.write_text(json.dumps(seed_article_with_picture(wire_server(refuse=0))))
    call_command("import", str(item), stdout=io.StringIO(), stderr=io.StringIO())
    story = ArticlePage.objects.get(source_uri="urn:broadsheet:seed:blinken-presses-iraq")
    assert story.hero_image.file.name in media_on_s3.objects()
    assert fetch(story.hero_image.file.url)[2] == jpeg((1600, 900))


def test_the_demo_newsroom_keeps_its_pictures_in_the_bucket(media_on_s3, home, client):
    call_command("demo", stdout=io.StringIO())
    names = set(get_image_model().objects.values_list("file", flat=True))
    assert len(names) >= 10 and names <= media_on_s3.objects()
    shown = pictures_in(client.get("/").content.decode())
    assert shown and all(url.startswith(media_on_s3.public_url) for url in shown)
    assert fetch(shown[0])[0] == 200


def test_a_served_site_draws_its_icons_and_share_image_into_the_bucket(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    port = free_port()
    env = prepared_site(tmp_path / "data", port, **s3_server.environ(bucket))
    public = f"{s3_server.endpoint}/{bucket}"
    proc = start_server(env, port)
    try:
        status, headers, body = fetch(f"http://127.0.0.1:{port}/")
        policy = headers["content-security-policy"]
        # The directives come in no fixed order: compare img-src's own sources.
        directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";") if d.strip())
        assert status == 200
        assert directives["img-src"].split() == ["'self'", "data:", s3_server.endpoint]
        og_image = re.search(rb'<meta property="og:image" content="([^"]+)"', body).group(1)
        assert og_image.decode().startswith(public + "/images/share-image")
        assert fetch(og_image.decode())[0] == 200
        # The icon is read back from the bucket through the storage API, not a local path.
        status, headers, icon = fetch(f"http://127.0.0.1:{port}/favicon.ico")
        assert status == 200 and icon.startswith(b"\x89PNG")
        assert get(f"http://127.0.0.1:{port}/media/images/anything.png")[0] == 404
    finally:
        stop_server(proc)
    keys = {o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert any(k.startswith("original_images/share-image") for k in keys)
    assert any(k.startswith("original_images/site-icon") for k in keys)
    assert not (tmp_path / "data" / "media").exists()
