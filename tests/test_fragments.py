"""Fragments: the parts of a story page kept rendered between purges (pagecache/fragments.py).

Everyone the page cache does not serve (signed-in readers, the first reader after a purge)
gets the story, its widgets and its thread from fragments, tagged like pages: a change that
purges a page drops the fragments showing what changed, and nothing personal is ever kept.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction, Site

from broadsheet.articles.models import Byline
from broadsheet.comments.discussed import DISCUSSED_TTL_SECONDS
from broadsheet.comments.models import Comment, Reaction
from broadsheet.frontpage.models import Spotlight, SpotlightPick
from broadsheet.pagecache import fragments, store
from broadsheet.pagecache.purge import purge, stories
from broadsheet.people.models import Author

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fragments_on(settings):
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "FRAGMENTS": True}


@pytest.fixture
def fragments_off(settings):
    def off():
        settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "FRAGMENTS": False}
    return off


@pytest.fixture
def story(world, make_story, django_user_model):
    story = make_story(world, "The harbour story")
    guest = django_user_model.objects.create_user(username="guest@example.org",
                                                  email="guest@example.org", password="x" * 12)
    Comment.objects.create(story=story, author=guest, body="A first remark on the harbour.")
    return story


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored_fragments() -> list[bytes]:
    pages = store.root() / "pages"
    if not pages.exists():
        return []
    return [p.read_bytes() for p in pages.iterdir() if p.name.startswith(fragments.PREFIX)]


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


def thread_of(html: str) -> str:
    return html.split('<h2 id="comments-heading">')[1].split('<p class="signed-in">')[0]


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def test_a_page_from_fragments_is_the_page_rendered_afresh(client, story, fragments_off,
                                                           settings):
    first_queries, kept = queries(client, story.url)  # renders and keeps the fragments
    found_queries, found = queries(client, story.url)
    fragments_off()
    _, fresh = queries(client, story.url)
    assert found == kept == fresh
    assert "A first remark on the harbour." in found
    # The story, its section, widgets, thread and bylines are not asked for again: what is
    # left is the story's route and the masthead.
    assert found_queries <= 3 < first_queries


def test_the_sort_links_of_the_thread_are_on_the_story_page(client, story):
    html = client.get(story.url).content.decode()
    assert "?sort=oldest#comments" in html and "?sort=reacted#comments" in html


def test_a_signed_in_reader_shares_the_thread_but_gets_their_own_token(story, make_reader):
    first, second = make_reader(), make_reader()
    a = signed_in(first).get(story.url).content.decode()
    b_client = signed_in(second)
    b_client.get(story.url)
    b = b_client.get(story.url).content.decode()  # the thread from the fragment
    token_a, token_b = TOKEN.findall(a), TOKEN.findall(b)
    assert token_a and token_b and set(token_a).isdisjoint(token_b)
    assert len(set(token_b)) == 1  # one token per page, the reader's own
    assert without_tokens(thread_of(a)) == without_tokens(thread_of(b))
    for kept in stored_fragments():
        assert b"csrfmiddlewaretoken" not in kept or fragments.CSRF_PLACEHOLDER.encode() in kept
        assert token_a[0].encode() not in kept and token_b[0].encode() not in kept

    # The token from the shared thread works: Respect is given.
    client = Client(enforce_csrf_checks=True)
    client.force_login(second)
    html = client.get(story.url).content.decode()
    comment = Comment.objects.get(story=story)
    response = client.post(f"/comments/{comment.pk}/respect/",
                           {"csrfmiddlewaretoken": TOKEN.findall(html)[0]})
    assert response.status_code in (200, 302)
    assert Reaction.objects.filter(reader=second, comment=comment).exists()


def test_a_reader_in_the_discussion_sees_their_own_thread(story, make_reader, committed):
    reader, other = make_reader(), make_reader()
    signed_in(other).get(story.url)  # the shared thread is kept
    Comment.objects.create(story=story, author=reader, body="My comment, waiting.",
                           status=Comment.Status.PENDING)  # no purge: only they see it
    html = signed_in(reader).get(story.url).content.decode()
    assert "My comment, waiting." in html and "Awaiting moderation" in html
    assert "My comment, waiting." not in signed_in(other).get(story.url).content.decode()

    # A reader who gave Respect sees it pressed, though nobody purged.
    comment = Comment.objects.filter(story=story, status=Comment.Status.APPROVED).first()
    Reaction.objects.create(reader=other, comment=comment)
    html = signed_in(other).get(story.url).content.decode()
    assert 'aria-pressed="true"' in html


def test_a_change_drops_the_fragments_showing_it(client, home, world, make_story, story,
                                                 make_section, committed):
    science = make_section("Science")
    sibling = make_story(world, "Sibling story")  # shows `story` under More from World
    elsewhere = make_story(science, "Elsewhere story")  # shows it in Spotlight
    SpotlightPick.objects.create(spotlight=Spotlight.for_site(home.get_site()), story=story)
    urls = [story.url, sibling.url, elsewhere.url]
    for url in urls:
        client.get(url)
        assert "The harbour story" in client.get(url).content.decode()

    def edit():
        story.title = "The corrected harbour story"
        story.save_revision().publish()
    committed(edit)
    for url in urls:
        html = client.get(url).content.decode()
        assert "The corrected harbour story" in html, url

    # The section's new name, in the story's kicker, head and More from heading.
    def rename():
        world.title = "Planet"
        world.save_revision().publish()
    committed(rename)
    html = client.get(sibling.url).content.decode()
    assert "More from Planet" in html and 'property="article:section" content="Planet"' in html


def test_a_new_comment_reaches_the_thread_and_the_count(client, story, reader, committed):
    client.get(story.url)
    assert "1 comment<" in client.get(story.url).content.decode()
    committed(lambda: Comment.objects.create(story=story, author=reader,
                                             body="A second remark."))
    html = client.get(story.url).content.decode()
    assert "A second remark." in html and "2 comments" in html


def test_a_fragment_with_popular_keeps_no_longer_than_popular(client, story, settings):
    client.get(story.url)
    clocks = []
    for path in (store.root() / "pages").iterdir():
        if path.name.startswith(fragments.PREFIX):
            meta = json.loads(path.read_bytes().partition(b"\n")[0])
            if ["clock", "1"] in meta["headers"]:
                clocks.append(meta["expires"] - timezone.now().timestamp())
    # The widgets live as long as Popular; See what people are discussing, as long as its list.
    assert clocks and min(clocks) <= settings.BROADSHEET_PAGECACHE["MAX_AGE"] + 1
    assert max(clocks) <= DISCUSSED_TTL_SECONDS + 1
    # A page made from it is kept no longer either (its widgets would be stale).
    client.get(story.url)
    response = client.get(story.url)
    assert response.wsgi_request.pagecache_max_age <= settings.BROADSHEET_PAGECACHE["MAX_AGE"]


def test_a_page_made_from_fragments_carries_their_tags(client, story, world):
    fresh = client.get(story.url).wsgi_request.pagecache_tags
    found = client.get(story.url).wsgi_request.pagecache_tags
    assert found == fresh
    assert {f"page:{story.pk}", f"page:{world.pk}", "spotlight"} <= found


def test_a_fragment_rendered_across_a_purge_is_not_kept(rf):
    request = rf.get("/a-story/")
    request.pagecache_started = time.time()
    store.purge_all()  # lands while the request renders: what it read may be older
    seen = fragments.Rendering(tags={"page:1"})
    fragments.save(request, fragments.PREFIX + "0" * 40, "<p>old</p>", seen)
    assert stored_fragments() == []
    request.pagecache_started = time.time()
    fragments.save(request, fragments.PREFIX + "1" * 40, "<p>new</p>", seen)
    assert stored_fragments() != []


def test_previews_never_use_fragments(story, django_user_model):
    editor = django_user_model.objects.create_superuser("ed", "ed@example.org", "x" * 12)
    client = signed_in(editor)
    client.get(story.url)  # the live story's fragments are kept
    story.title = "A draft headline nobody has published"
    story.save_revision()
    preview = client.get(f"/admin/pages/{story.pk}/revisions/"
                         f"{story.latest_revision_id}/view/")
    assert preview.status_code == 200
    assert "A draft headline nobody has published" in preview.content.decode()
    assert "A draft headline" not in client.get(story.url).content.decode()


def test_a_purge_by_tag_drops_only_the_fragments_with_it(client, story, world, make_story,
                                                        committed):
    other = make_story(world, "Another story")
    client.get(story.url), client.get(other.url)
    kept = len(stored_fragments())
    committed(lambda: purge(stories([story.pk])))
    left = len(stored_fragments())
    assert 0 < left < kept
    # Popular, Spotlight and More from of the other story do not show the purged story
    # unless listed; its head and story fragments survive.
    assert client.get(other.url).status_code == 200


def test_the_site_is_looked_up_again_after_it_changes(client, story, committed):
    client.get(story.url)
    site = Site.objects.get(is_default_site=True)

    def rename():
        site.site_name = "The Harbour Gazette"
        site.save()
    committed(rename)
    assert "The Harbour Gazette" in client.get(story.url).content.decode()


def test_a_new_view_restriction_holds_at_once(client, story, committed):
    assert client.get(story.url).status_code == 200
    committed(lambda: PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.LOGIN))
    response = client.get(story.url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_authors_new_name_reaches_their_bylines(client, story, committed):
    author = Author.objects.create(name="Sam Example")
    Byline.objects.create(page=story, author=author)
    committed(lambda: story.save_revision().publish())
    assert "Sam Example" in client.get(story.url).content.decode()
    client.get(story.url)

    def rename():
        author.name = "Sam Renamed"
        author.save()
    committed(rename)
    assert "Sam Renamed" in client.get(story.url).content.decode()
    assert "Sam Renamed" in client.get(author.get_absolute_url()).content.decode()
