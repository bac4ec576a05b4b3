"""A reader's whole path through the newsletters, in Chromium against a live server: sign up
from the form on a story page, confirm from the e-mailed link, change preferences from the
link the confirmation page gives, and leave with the e-mail's one-click unsubscribe (an
RFC 8058 POST, as a mail client sends it: no cookie, no token)."""

import re
import urllib.request

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def newsroom(live_server, transactional_db, world, make_story, settings):
    from broadsheet.newsletters.models import Newsletter

    # The live server is this site's public address: e-mailed links name it.
    settings.BASE_URL = live_server.url
    story = make_story(world, "The harbour reopens")
    briefing = Newsletter.objects.create(name="Morning briefing", slug="morning",
                                         description="The day's stories before nine.")
    Newsletter.objects.create(name="Breaking alerts", slug="alerts", kind="alert")
    return f"{live_server.url}{story.url}", briefing


def subscribed(email: str) -> set[str]:
    from broadsheet.newsletters.models import Subscription

    return set(Subscription.objects.filter(subscriber__email__iexact=email)
               .values_list("newsletter__slug", flat=True))


def test_sign_up_on_a_story_confirm_choose_and_unsubscribe_in_one_click(newsroom, reader_page,
                                                                         live_server):
    from broadsheet.newsletters.models import Subscriber
    from broadsheet.newsletters.preferences import list_unsubscribe_headers

    url, briefing = newsroom
    page = reader_page(javascript=False)  # the whole path is forms and links

    # Sign up from the story page.
    page.goto(url)
    form = page.locator("section.newsletter-signup")
    expect(form.get_by_role("group", name="Choose your newsletters")).to_be_visible()
    form.get_by_label("Morning briefing").check()
    form.get_by_label("Breaking alerts").check()
    form.get_by_label("Your e-mail address").fill("ada@example.org")
    form.get_by_role("button", name="Sign up").click()
    # expect() waits for the form post to land; is_visible() would look at the old page.
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert subscribed("ada@example.org") == set()  # nothing until confirmed

    # Confirm from the e-mail: opening the link asks for a click.
    assert mail.outbox[-1].to == ["ada@example.org"]
    link = re.search(r"(http://\S+/newsletters/confirm/\S+/)", mail.outbox[-1].body)[1]
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your sign-up")).to_be_visible()
    page.get_by_role("button", name="Yes, send me these newsletters").click()
    expect(page.get_by_role("heading", name="You are signed up")).to_be_visible()
    assert subscribed("ada@example.org") == {"morning", "alerts"}

    # Preferences, from the link the confirmation page shows.
    page.get_by_role("link", name="Change which newsletters you receive").click()
    expect(page.get_by_role("heading", name="Your newsletters")).to_be_visible()
    expect(page.get_by_label("Morning briefing")).to_be_checked()
    expect(page.get_by_label("Breaking alerts")).to_be_checked()
    page.get_by_label("Breaking alerts").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Breaking alerts")).not_to_be_checked()
    expect(page.get_by_label("Morning briefing")).to_be_checked()
    assert subscribed("ada@example.org") == {"morning"}

    # One click in the mail client: the List-Unsubscribe link, posted as RFC 8058 says.
    subscriber = Subscriber.objects.get(email__iexact="ada@example.org")
    headers = list_unsubscribe_headers(subscriber, briefing)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.match(r"<([^>]+)>", headers["List-Unsubscribe"])[1]
    assert one_click.startswith(live_server.url)
    request = urllib.request.Request(
        one_click, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
        assert answer.status == 200
    assert subscribed("ada@example.org") == set()
