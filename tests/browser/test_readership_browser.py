"""Readers in Chromium against `broadsheet serve`: real views (from the page cache and not)
move Popular; the same number of crawler visits, prefetches, prerenders and reloads do not;
a draft never appears. And the admin's readership chart renders (screenshot)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.serving import BIN, free_port, get, prepared_site, shell, start_server, stop_server

pytestmark = pytest.mark.browser

READER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/130.0 Safari/537.36 person-{}")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/130.0 Safari/537.36")
MAKE = """
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
from broadsheet.publishing.roles import EDITORS, ensure_roles
from django.contrib.auth import get_user_model
home = HomePage.objects.get()
section = home.add_child(instance=SectionPage(title="City", slug="city"))
section.save_revision().publish()
ids = []
for slug in ("read", "crawled", "draft"):
    story = section.add_child(instance=ArticlePage(title=slug.title() + " story", slug=slug,
                                                   live=slug != "draft"))
    revision = story.save_revision()
    if slug != "draft":
        revision.publish()
    ids.append(story.pk)
ensure_roles()
editor = get_user_model().objects.create_user(username="ed@example.org", email="ed@example.org",
                                              password="editor-pass-12345")
editor.groups.add(*__import__("django.contrib.auth.models", fromlist=["Group"])
                  .Group.objects.filter(name=EDITORS))
print(*ids)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is not installed")
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port)
    ids = [int(i) for i in shell(env, MAKE).split()[-3:]]
    proc = start_server(env, port)
    yield f"http://127.0.0.1:{port}", env, dict(zip(("read", "crawled", "draft"), ids,
                                                     strict=True))
    stop_server(proc)


def popular(env, base) -> dict[int, float]:
    subprocess.run([BIN, "rollup_views"], env=env, check=True, capture_output=True)
    shell(env, "from django.core.cache import cache; cache.clear()")
    with urllib.request.urlopen(base + "/api/popular.json?limit=20") as r:  # noqa: S310
        return {s["id"]: s["score"] for s in json.load(r)["stories"]}


def visit(browser, url, ua, *, reloads=0):
    context = browser.new_context(user_agent=ua)
    page = context.new_page()
    with page.expect_response("**/_/view"):
        page.goto(url)
    for _ in range(reloads):
        with page.expect_response("**/_/view"):
            page.reload()
    context.close()


def test_reader_views_move_popular_and_nothing_else_does(browser, served):
    base, env, ids = served
    read, crawled = f"{base}/city/read/", f"{base}/city/crawled/"
    assert get(read)[1].get("x-page-cache") in ("miss", None)
    # Three readers read the first story: the first view renders it, the rest come from
    # the page cache.
    for n in range(3):
        visit(browser, read, READER.format(n))
    assert get(read)[1].get("x-page-cache") == "hit"

    # The second story: one real reader who then reloads twice, and as many again of
    # crawlers, an announced headless browser, prefetches and prerenders.
    visit(browser, crawled, READER.format("re"), reloads=2)
    for ua in (GOOGLEBOT, HEADLESS):
        context = browser.new_context(user_agent=ua)
        page = context.new_page()
        with page.expect_response("**/_/view"):  # they do send the beacon; it is refused
            page.goto(crawled)
        context.close()
    context = browser.new_context(user_agent=READER.format("pf"))
    page = context.new_page()
    page.goto(f"{base}/robots.txt")
    with page.expect_request(lambda r: r.url == crawled):
        page.evaluate("""url => {
            const link = document.createElement('link');
            link.rel = 'prefetch'; link.href = url; document.head.appendChild(link);
            const rules = document.createElement('script');
            rules.type = 'speculationrules';
            rules.textContent = JSON.stringify({prerender: [{source: 'list', urls: [url]}]});
            document.head.appendChild(rules);
        }""", crawled)
    page.wait_for_timeout(1500)
    context.close()

    scores = popular(env, base)
    assert list(scores)[:2] == [ids["read"], ids["crawled"]]
    assert scores[ids["read"]] == pytest.approx(3, rel=0.01)
    assert scores[ids["crawled"]] == pytest.approx(1, rel=0.01)  # only the one reader

    # A draft: its URL is not found, a beacon for it is refused, and it never appears.
    assert get(f"{base}/city/draft/")[0] == 404
    request = urllib.request.Request(f"{base}/_/view", data=f"page={ids['draft']}".encode(),
                                     headers={"User-Agent": READER.format("d"),
                                              "Content-Type":
                                                  "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 400
    assert ids["draft"] not in popular(env, base)


def test_the_readership_chart_renders(browser, served):
    from PIL import Image

    base, env, ids = served
    for n in range(4):  # something to draw
        visit(browser, f"{base}/city/read/", READER.format(f"c{n}"))
    subprocess.run([BIN, "rollup_views"], env=env, check=True, capture_output=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", "ed@example.org")
    page.fill("input[name=password]", "editor-pass-12345")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{base}/admin/readership/?days=1")
    chart = page.locator("svg[data-chart=readership]")
    box = chart.bounding_box()
    assert box and box["width"] > 500 and box["height"] > 150
    points = page.locator("polyline[data-series=views]").get_attribute("points").split()
    assert len(points) == 24 and len({p.split(",")[1] for p in points}) > 1  # not flat
    out = ROOT / "bench" / "results" / "readership-chart.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(out))
    data = Image.open(out).convert("RGB").tobytes()
    teal = sum(1 for r, g, b in zip(data[0::3], data[1::3], data[2::3], strict=True)
               if r < 40 and 100 < g < 150 and 100 < b < 150)
    assert teal > 100, "the views line is not in the screenshot"
    # And the per-story chart is one click from the story's edit screen.
    page.goto(f"{base}/admin/pages/{ids['read']}/edit/")
    page.get_by_role("link", name="Readership").first.click()
    expect(page.locator("svg[data-chart=readership]")).to_be_visible()
    assert page.locator("[data-total=views]").inner_text() != "0"
    context.close()
