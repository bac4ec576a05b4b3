"""The demo's front page in Chromium, as `make run` serves it: it shows the news on the first
screen (five headlines on a laptop, the lead's on a phone), pictures keep their shape, nothing
shifts, and the browser reports no error (not even for the icon it asks for by itself)."""

import pytest

pytestmark = pytest.mark.browser

LAPTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}

# Story headlines (the lead's and every teaser's are h3 links) wholly inside the viewport.
HEADLINES_IN_VIEW = """() => [...document.querySelectorAll('main h3 a')].filter(a => {
    const r = a.getBoundingClientRect();
    return a.checkVisibility() && r.width > 0 && r.top >= 0 && r.left >= 0
        && r.bottom <= innerHeight && r.right <= innerWidth;
}).map(a => a.textContent.trim())"""

# Pictures whose box is not the shape of the picture (squeezed, stretched or cropped).
MISSHAPEN_PICTURES = """() => [...document.querySelectorAll('main img')].filter(img => {
    const r = img.getBoundingClientRect();
    const [w, h] = img.naturalWidth ? [img.naturalWidth, img.naturalHeight]
        : [+img.getAttribute('width'), +img.getAttribute('height')];
    const fit = getComputedStyle(img).objectFit;
    return r.width > 0 && (Math.abs(r.width / r.height - w / h) > 0.01 * (w / h)
                           || !['fill', 'contain', 'scale-down'].includes(fit) && fit !== 'none');
}).map(img => img.currentSrc)"""

LAYOUT_SHIFT = """() => new Promise(done => {
    let total = 0;
    new PerformanceObserver(list => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
    }).observe({type: 'layout-shift', buffered: true});
    setTimeout(() => done(total), 300);
})"""


def open_front_page(browser, base: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
            if r.status >= 400 else None)
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    return context, page, problems


def test_a_laptop_screen_shows_the_news(browser, demo_site):
    context, page, _ = open_front_page(browser, demo_site, LAPTOP)
    headlines = page.evaluate(HEADLINES_IN_VIEW)
    lead = page.locator(".lead-story h3").inner_text()
    context.close()
    assert len(headlines) >= 5, headlines
    assert headlines[0] == lead


def test_a_phone_screen_shows_the_lead_headline(browser, demo_site):
    context, page, _ = open_front_page(browser, demo_site, PHONE)
    headlines = page.evaluate(HEADLINES_IN_VIEW)
    lead = page.locator(".lead-story h3").inner_text()
    context.close()
    assert lead in headlines, headlines


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_pictures_keep_their_shape_and_nothing_shifts(browser, demo_site, viewport):
    context, page, _ = open_front_page(browser, demo_site, viewport)
    page.mouse.wheel(0, 20000)  # bring the lazy pictures in
    page.wait_for_load_state("networkidle")
    misshapen = page.evaluate(MISSHAPEN_PICTURES)
    pictures = page.locator("main img").count()
    shift = page.evaluate(LAYOUT_SHIFT)
    context.close()
    assert pictures >= 1 and misshapen == []
    assert shift == 0


def test_no_errors_in_the_browser(browser, demo_site):
    for viewport in (LAPTOP, PHONE):
        # Chromium fetches the page's icon itself (no request event), and reports a missing
        # one as a console error.
        context, page, problems = open_front_page(browser, demo_site, viewport)
        context.close()
        assert problems == [], problems
