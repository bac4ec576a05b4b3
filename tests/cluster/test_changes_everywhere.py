"""What one host does, every host shows: a change made through any host reaches every host's
page cache, and the edge in front, within a second."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request

from tests.serving import get

WITHIN = 1.0
PAGES = ["/", "/metro/", "/metro/harbour-wall/", "/feeds/rss.xml", "/sitemap-news.xml"]


def readers(cluster) -> dict[str, str]:
    """Every address a reader may come through: each host, and the edge when there is one."""
    found = {f"host {h.name}": h.url for h in cluster.hosts}
    if cluster.edge:
        found["edge"] = cluster.edge
    return found


def warm(cluster, paths) -> None:
    """Each page read until every host's page cache (and the edge) holds it."""
    for name, base in readers(cluster).items():
        for path in paths:
            get(base + path)
            headers = {k.lower(): v for k, v in get(base + path)[1].items()}
            if name == "edge":
                assert headers.get("x-edge") == "hit", (name, path)
            else:
                assert headers.get("x-page-cache") == "hit", (name, path)


def until_everywhere(cluster, paths, text: str, committed: float) -> dict:
    """Poll every page through every address until it shows `text`; seconds after the
    commit each first did. Fails naming what still did not after WITHIN."""
    waiting = {(name, path): base + path for name, base in readers(cluster).items()
               for path in paths}
    seen = {}
    while waiting and time.time() < committed + WITHIN:
        for key, url in list(waiting.items()):
            if text in get(url)[2].decode("utf-8", "replace"):
                seen[key] = round(time.time() - committed, 3)
                del waiting[key]
        time.sleep(0.02)
    assert not waiting, f"still without {text!r} {WITHIN}s after the commit: {sorted(waiting)}"
    return seen


PUBLISH = """
import time
from broadsheet.articles.models import ArticlePage
from broadsheet.sections.models import SectionPage
metro = SectionPage.objects.get(slug="metro")
story = metro.add_child(instance=ArticlePage(title="Ferry service returns",
                                             slug="ferry-returns", summary="In one line."))
story.save_revision().publish()
print("committed", time.time())
"""


def test_a_story_published_on_one_host_shows_on_every_host_and_the_edge(cluster):
    warm(cluster, PAGES)
    out = cluster.hosts[0].shell(PUBLISH)
    committed = float(out.split()[-1])
    listings = [p for p in PAGES if p != "/metro/harbour-wall/"]
    until_everywhere(cluster, listings, "Ferry service returns", committed)


class Reader:
    """A signed-in reader's browser, in plain HTTP: cookies, CSRF tokens, forms."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as r:
            return r.read().decode()

    def post(self, path: str, fields: dict, *, page: str) -> int:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(page))[1]
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"Referer": self.base + page})
        with self.opener.open(request, timeout=10) as r:
            return r.status


def test_a_comment_posted_on_one_host_and_approved_on_another_shows_everywhere(cluster):
    story = "/metro/harbour-wall/"
    warm(cluster, [story])
    reader = Reader(cluster.hosts[1].url)
    reader.post("/accounts/login/", {"login": "reader@example.org",
                                     "password": "a-long-pass-123"}, page="/accounts/login/")
    assert "sessionid" in {c.name for c in reader.jar}, "the reader could not sign in"
    status = reader.post(f"/discussion/{cluster.story_id}/post/",
                         {"body": "The new wall looks sturdier from the ferry deck."},
                         page=story)
    assert status == 200
    (comment, state), = cluster.sql(
        "SELECT id, status FROM comments_comment WHERE body LIKE %s", ("%from the ferry deck%",))
    assert state == "pending"  # the story is pre-moderated
    # The moderator works on the third host, in the admin's comment queue.
    moderator = Reader(cluster.hosts[2].url)
    moderator.post("/admin/login/", {"username": "mod@example.org",
                                     "password": "a-long-pass-123"}, page="/admin/login/")
    assert moderator.post("/admin/comments/queue/", {"action": "approve", "comment": comment},
                          page="/admin/comments/queue/") == 200
    committed = time.time()  # the answer comes once the approval has committed
    assert cluster.sql("SELECT status FROM comments_comment WHERE id = %s",
                       (comment,)) == [("approved",)]
    until_everywhere(cluster, [story], "looks sturdier from the ferry deck", committed)


UPLOAD = """
import io, time
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from broadsheet.articles.models import ArticlePage
buffer = io.BytesIO()
PILImage.new("RGB", (1200, 800), "teal").save(buffer, "JPEG")
picture = get_image_model().objects.create(
    title="Harbour at dawn", file=ImageFile(buffer, name="harbour-dawn.jpg"))
story = ArticlePage.objects.get(slug="harbour-wall")
story.hero_image, story.hero_alt = picture, "The harbour wall at dawn"
story.save_revision().publish()
print("committed", time.time())
"""


def test_an_image_uploaded_on_one_host_renders_on_another(cluster):
    import io

    from PIL import Image as PILImage

    cluster.hosts[0].shell(UPLOAD)
    page = get(cluster.hosts[2].url + "/metro/harbour-wall/")[2].decode()
    hero = re.search(r'<img[^>]*alt="The harbour wall at dawn"[^>]*>', page)
    assert hero, "host 3 does not show the picture host 1 uploaded"
    src = re.search(r'src="([^"]+)"', hero[0])[1]
    assert src.startswith(cluster.s3.endpoint + "/" + cluster.bucket + "/")
    status, _, body = get(src)  # from the store, which every host shares
    with PILImage.open(io.BytesIO(body)) as seen:
        assert status == 200 and seen.format in {"JPEG", "WEBP"}
    assert not (cluster.hosts[0].data / "media").exists()
    assert not (cluster.hosts[2].data / "media").exists()
