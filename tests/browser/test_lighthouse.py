"""Lighthouse (npm `lighthouse`, in Debian's Chromium, its default mobile profile) scores the
demo newsroom as `make run` serves it 100 in performance, accessibility, best practices and
SEO: a story, the home page, a section and the search page; and search results in all but
SEO (below). One run a page, all four at once.

What is measured is the page as readers get it: each page is fetched once first, so the run
sees it from the page cache. The first view of a story makes its picture renditions (about
2 s here); that is printed, not scored.

Performance is the one score the machine running the suite can lower: Lighthouse simulates a
slow phone from the main-thread work it observes, and on a busy machine the same page's tasks
take longer (on the shared 2-core test box the same page scored 94-100 in consecutive runs).
Each run waits (at most 60 s) for the rest of the suite to leave a core free, and a page whose
performance misses 100 is measured again, at most four times, and its best run counts, as
Lighthouse CI's "optimistic" aggregation does; so is a run that Lighthouse itself says to
repeat (a runtime error). Accessibility, best practices, SEO and layout shift
do not depend on the machine and must pass in the first run.

Search results miss SEO 100 on purpose: robots.txt disallows /search/? and a results page
says noindex, so that search engines do not index endless result pages (Google asks sites to
keep them out). Lighthouse's "Page is blocked from indexing" audit flags exactly that; the test
holds it to those two sources and every other SEO audit to a pass. The search page itself,
with no query, may be indexed and scores 100 in all four.
"""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import CHROMIUM, ROOT

pytestmark = pytest.mark.browser

LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
RUNS = 5  # at most, and only for performance: see above


@pytest.fixture(scope="module")
def pages(demo_site):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    if shutil.which("node") is None:
        pytest.skip("node is not installed: Lighthouse runs on Node.js")
    assert LIGHTHOUSE.exists(), "Lighthouse is missing: run `npm ci` (make browser-deps does)"
    home = urllib.request.urlopen(demo_site + "/").read().decode()
    lead = re.search(r'class="lead-story">.*?<h3><a href="([^"]+)">([^<]+)<', home, re.S)
    nav = home[home.index('<nav aria-label="Sections">'):]
    section = re.search(r'<a href="([^"]+)">', nav).group(1)
    word = max(lead.group(2).split(), key=len)  # a word the lead's headline surely matches
    return {"story": lead.group(1), "home": "/", "section": section, "search": "/search/",
            "results": f"/search/?q={word}"}


def busy_cores() -> float:
    """How many cores were busy over the last half second (all processes, from /proc/stat)."""
    def sample():
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # idle and iowait

    total, idle = sample()
    time.sleep(0.5)
    total2, idle2 = sample()
    return (os.cpu_count() or 1) * (1 - (idle2 - idle) / max(1, total2 - total))


def wait_for_a_quiet_machine(most: float = 60) -> float:
    """Wait (at most `most` seconds) until the rest of the suite leaves a core free: the
    other test worker's busy spells (several processes of a served site, a cache in front)
    would otherwise be scored as this page's main-thread work. One busy core is the other
    worker running an ordinary test, and leaves Lighthouse the other. Returns how long it
    waited."""
    started = time.monotonic()
    while time.monotonic() - started < most and busy_cores() > 1.2:
        pass
    return time.monotonic() - started


def lighthouse(url: str, out) -> dict:
    """Lighthouse's report on `url`. A run that hit a runtime error (Lighthouse exits 1 and
    says to run it again) still writes one, with `runtimeError` set."""
    done = subprocess.run(
        ["node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
         f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
        env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=240, capture_output=True,
        text=True)
    assert out.exists(), f"Lighthouse failed ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(out.read_text())


def score(report: dict, category: str) -> int | None:
    value = report["categories"][category]["score"]
    return None if value is None else round(value * 100)


def failing(report: dict, category: str) -> dict[str, str]:
    """The scored audits of `category` that did not fully pass, with what Lighthouse says."""
    audits = report["audits"]
    return {ref["id"]: f"{audits[ref['id']]['title']} {audits[ref['id']].get('displayValue', '')}"
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] > 0 and audits[ref["id"]]["score"] is not None
            and audits[ref["id"]]["score"] < 1}


@pytest.mark.parametrize("kind", ["story", "home", "section", "search", "results"])
def test_lighthouse_scores_100(demo_site, pages, kind, tmp_path):
    url = demo_site + pages[kind]
    started = time.monotonic()
    urllib.request.urlopen(url).read()
    first_view = time.monotonic() - started
    runs = []
    waited = 0.0
    for n in range(RUNS):
        waited += wait_for_a_quiet_machine()
        report = lighthouse(url, tmp_path / f"run{n}.json")
        runs.append(report)
        if "runtimeError" not in report and score(report, "performance") == 100:
            break
    valid = [r for r in runs if "runtimeError" not in r]
    assert valid, [r["runtimeError"] for r in runs]
    errors = [r["runtimeError"].get("code") for r in runs if "runtimeError" in r]
    if errors:
        print(f"\nLighthouse runtime errors, run again: {errors}")
    first = valid[0]
    scores = {c: score(first, c) for c in CATEGORIES}
    scores["performance"] = max(score(r, "performance") for r in valid)
    print(f"\nLighthouse {kind} {pages[kind]}: {scores}; {len(runs)} run(s), performance "
          f"{[score(r, 'performance') if 'runtimeError' not in r else 'error' for r in runs]}; "
          f"first view {first_view:.2f} s; waited {waited:.0f} s for a quiet machine")

    assert scores["performance"] == 100, [failing(r, "performance") for r in valid]
    assert [r["audits"]["cumulative-layout-shift"]["numericValue"] for r in valid] == [
        0] * len(valid)
    checked = ("accessibility", "best-practices") + (("seo",) if kind != "results" else ())
    assert {c: scores[c] for c in checked} == dict.fromkeys(checked, 100), {
        c: failing(first, c) for c in checked}
    if kind == "results":
        assert list(failing(first, "seo")) == ["is-crawlable"], failing(first, "seo")
        blocked_by = first["audits"]["is-crawlable"]["details"]["items"]
        sources = sorted(item["source"].get("snippet") or item["source"]["url"].rsplit("/")[-1]
                         for item in blocked_by)
        assert sources == ['<meta name="robots" content="noindex, follow" />', "robots.txt"]
