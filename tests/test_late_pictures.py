"""A story's picture that could not be fetched at import arrives later, in the background.

The wire's picture server is real (tests/picture_server.py): it refuses the first fetch of each
file and serves the next.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest.images import Fetcher
from broadsheet.ingest.late_pictures import retry_due, try_again
from broadsheet.ingest.models import RemoteImage
from broadsheet.pagecache import store
from tests.picture_server import library_picture, seed_article_with_picture

ARTICLE_URI = "urn:broadsheet:seed:blinken-presses-iraq"


def run_import(path, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def import_seed(home, tmp_path):
    def run(server, **options):
        path = tmp_path / "article.json"
        path.write_text(json.dumps(seed_article_with_picture(server)))
        _, err = run_import(path, **options)
        return ArticlePage.objects.get(source_uri=ARTICLE_URI), err
    return run


def cached(client, url) -> bool:
    key = store.key_for("testserver", url, "")
    return store.load(store.root(), key) is not None


@pytest.mark.parametrize("how", ["503", "hang up"])
def test_a_refused_picture_arrives_on_the_next_attempt(client, import_seed, wire_server,
                                                       django_capture_on_commit_callbacks,
                                                       how):
    server = wire_server(refuse=1, how=how)
    before = timezone.now()
    story, err = import_seed(server)
    assert story.live and story.hero_image is None  # published at once, without it
    remote = RemoteImage.objects.get(page=story, role="hero")
    assert remote.state == RemoteImage.State.WAITING and remote.attempts == 1
    assert "could not be fetched" in remote.problem
    assert before + timedelta(seconds=60) <= remote.next_attempt_at \
        <= timezone.now() + timedelta(seconds=60)
    assert "tried again from" in err

    # Not due yet: nothing is asked of the server.
    assert retry_due() == [] and server.requests["/wire/blinken.jpg"] == 1

    assert client.get(story.url).status_code == 200
    assert cached(client, story.url)
    with django_capture_on_commit_callbacks(execute=True):
        attempts = retry_due(now=remote.next_attempt_at)
    assert [a.outcome for a in attempts] == ["attached"]

    story.refresh_from_db()
    assert story.live and story.hero_image.width == 1600
    assert story.hero_caption == "The Secretary of State meets the Prime Minister."
    assert story.hero_credit == "Wire Photographer"
    assert story.hero_alt == "Blinken and al-Sudani in Baghdad"
    assert not story.has_unpublished_changes
    remote.refresh_from_db()
    assert remote.state == RemoteImage.State.FETCHED and remote.image == story.hero_image
    assert remote.attempts == 2 and remote.next_attempt_at is None
    # The cached page that showed the story without its picture went, after the commit.
    assert not cached(client, story.url)
    html = client.get(story.url).content.decode()
    assert 'class="hero"' in html and "Wire Photographer" in html
    # Nothing more to do.
    assert retry_due(now=timezone.now() + timedelta(days=2)) == []


def test_waits_double_and_attempts_are_bounded(import_seed, wire_server, settings):
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST, "PICTURE_ATTEMPTS": 4,
                                  "PICTURE_RETRY_SECONDS": 60}
    server = wire_server(refuse=100)
    story, _ = import_seed(server)
    remote = RemoteImage.objects.get(page=story, role="hero")
    waits = []
    for _ in range(3):
        when = remote.next_attempt_at
        [attempt] = retry_due(now=when)
        remote.refresh_from_db()
        if remote.next_attempt_at:
            waits.append(remote.next_attempt_at - when)
    assert waits == [timedelta(seconds=120), timedelta(seconds=240)]
    assert attempt.outcome == "gave_up"
    assert remote.state == RemoteImage.State.GAVE_UP and remote.attempts == 4
    assert remote.next_attempt_at is None and remote.problem.endswith("HTTP 503")
    assert remote.last_attempt_at == when
    assert server.requests["/wire/blinken.jpg"] == 4
    assert retry_due(now=timezone.now() + timedelta(days=30)) == []
    story.refresh_from_db()
    assert story.live and story.hero_image is None


def test_a_picture_an_editor_chose_meanwhile_is_kept(import_seed, wire_server):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    remote = RemoteImage.objects.get(page=story, role="hero")
    own = library_picture("Editor's choice")
    draft = story.get_latest_revision_as_object()
    draft.hero_image, draft.hero_alt = own, "The editor's picture"
    draft.save_revision()  # not even published yet: the editor's choice still stands

    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "superseded"
    assert server.requests["/wire/blinken.jpg"] == 1  # not fetched for nothing
    story.refresh_from_db()
    assert story.get_latest_revision_as_object().hero_image == own
    remote.refresh_from_db()
    assert remote.state == RemoteImage.State.SUPERSEDED and remote.next_attempt_at is None


def test_an_editors_unpublished_changes_stay_unpublished_and_get_the_picture(
        import_seed, wire_server):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    published_dek = story.dek
    draft = story.get_latest_revision_as_object()
    draft.dek = "An editor's better dek, not published yet."
    draft.save_revision()
    remote = RemoteImage.objects.get(page=story, role="hero")

    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "attached"
    story.refresh_from_db()
    assert story.hero_image is not None and story.dek == published_dek  # readers' version
    assert story.has_unpublished_changes
    latest = story.get_latest_revision_as_object()
    assert latest.dek == "An editor's better dek, not published yet."
    assert latest.hero_image == story.hero_image  # publishing the draft keeps the picture


def test_an_embargoed_story_goes_live_with_its_picture(home, tmp_path, wire_server):
    server = wire_server(refuse=1)
    item = seed_article_with_picture(server)
    embargo = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    item["embargoedUntil"] = embargo.isoformat()
    path = tmp_path / "embargoed.json"
    path.write_text(json.dumps(item))
    run_import(path)
    story = ArticlePage.objects.get(source_uri=ARTICLE_URI)
    assert not story.live
    remote = RemoteImage.objects.get(page=story, role="hero")

    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "attached"
    scheduled = story.revisions.get(approved_go_live_at__isnull=False)
    assert scheduled.approved_go_live_at == embargo
    assert scheduled.as_object().hero_image is not None
    story.refresh_from_db()
    assert not story.live


@pytest.mark.parametrize("options, private_ok", [({"no_fetch": True}, True), ({}, False)])
def test_pictures_refused_by_policy_are_not_tried_again(import_seed, wire_server, settings,
                                                         options, private_ok):
    server = wire_server(refuse=0)
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST,
                                  "FETCH_PRIVATE_ADDRESSES": private_ok}
    story, _ = import_seed(server, **options)
    remote = RemoteImage.objects.get(page=story, role="hero")
    assert remote.state == RemoteImage.State.RECORDED and remote.next_attempt_at is None
    assert retry_due(now=timezone.now() + timedelta(days=1)) == []
    assert sum(server.requests.values()) == 0


def test_the_retry_state_is_kept_with_the_renditions(import_seed, wire_server):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    remote = RemoteImage.objects.get(page=story, role="hero")
    assert remote.renditions == [
        {"href": server.url("/wire/blinken.jpg"), "width": 1600, "height": 900,
         "contentType": "image/jpeg"},
        {"href": server.url("/wire/blinken-640.jpg"), "width": 640, "height": 360,
         "contentType": "image/jpeg"},
        {"href": server.url("/wire/blinken-square.jpg"), "width": 400, "height": 400,
         "contentType": "image/jpeg"}]
    assert remote.url == server.url("/wire/blinken.jpg")  # the largest is the one fetched


def test_one_attempt_at_a_time(import_seed, wire_server):
    """A second runner holding an old copy of the record (the command while the server's
    pass runs) does not fetch the picture again."""
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    stale = RemoteImage.objects.get(page=story, role="hero")
    [first] = retry_due(now=stale.next_attempt_at)
    assert first.outcome == "attached"
    second = try_again(stale, fetcher=Fetcher(), now=stale.next_attempt_at)
    assert second.outcome == "skipped"
    assert server.requests["/wire/blinken.jpg"] == 2


def test_the_command_runs_due_attempts_and_all_on_request(import_seed, wire_server):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    out, err = io.StringIO(), io.StringIO()
    call_command("retry_pictures", stdout=out, stderr=err)
    assert out.getvalue() == "" and "pictures tried 0" in err.getvalue()

    call_command("retry_pictures", "--all", stdout=out, stderr=err)
    assert out.getvalue().startswith(f"attached: {server.url()} for page {story.pk} 'Blinken")
    assert "attached 1, waiting 0, gave up 0" in err.getvalue()
    story.refresh_from_db()
    assert story.hero_image is not None


def test_a_reimport_starts_the_picture_afresh(import_seed, wire_server):
    server = wire_server(refuse=100)
    story, _ = import_seed(server)
    remote = RemoteImage.objects.get(page=story, role="hero")
    retry_due(now=remote.next_attempt_at)
    assert RemoteImage.objects.get(page=story, role="hero").attempts == 2
    server.refuse = 0  # the wire sends a new version, and its picture is there now
    story, _ = import_seed(server)
    assert story.hero_image is not None
    assert not RemoteImage.objects.filter(page=story, role="hero").exists()


def test_a_story_in_review_gets_its_picture_once_the_review_is_over(import_seed, wire_server,
                                                                   django_user_model):
    from broadsheet.ingest.models import FetchedImage

    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    writer = django_user_model.objects.create_user(username="writer", password="x-long-pass-1")
    draft = story.get_latest_revision_as_object()
    draft.dek = "A writer's new dek, submitted for review."
    draft.save_revision(user=writer)
    story.get_workflow().start(story, writer)
    remote = RemoteImage.objects.get(page=story, role="hero")

    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "waiting" and "in review" in attempt.detail
    story.refresh_from_db()
    assert story.workflow_in_progress  # the review goes on undisturbed
    assert story.hero_image is None and story.latest_revision.user == writer
    assert FetchedImage.objects.filter(url=remote.url).exists()  # kept while it was there
    remote.refresh_from_db()
    assert remote.state == RemoteImage.State.WAITING and remote.attempts == 1

    story.current_workflow_state.cancel(user=writer)
    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "attached"
    story.refresh_from_db()
    assert story.hero_image is not None
    assert server.requests["/wire/blinken.jpg"] == 2  # not fetched again


def test_a_scheduled_update_of_a_live_story_stays_scheduled_with_the_picture(
        import_seed, wire_server):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    dek = "The dek of an update scheduled for tonight."
    tonight = (timezone.now() + timedelta(hours=6)).replace(microsecond=0)
    update = story.get_latest_revision_as_object()
    update.dek, update.go_live_at = dek, tonight
    update.save_revision().publish()  # scheduled: the story stays as it is until then
    remote = RemoteImage.objects.get(page=story, role="hero")

    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "attached"
    story.refresh_from_db()
    assert story.hero_image is not None and story.dek != dek  # readers: the picture, now
    scheduled = story.revisions.get(approved_go_live_at__isnull=False)
    assert scheduled.approved_go_live_at == tonight  # still scheduled, for the same time
    assert scheduled.as_object().dek == dek
    assert scheduled.as_object().hero_image == story.hero_image


def test_the_storys_history_says_the_wire_picture_arrived(client, import_seed, wire_server,
                                                         admin_user):
    server = wire_server(refuse=1)
    story, _ = import_seed(server)
    remote = RemoteImage.objects.get(page=story, role="hero")
    retry_due(now=remote.next_attempt_at)
    client.force_login(admin_user)
    response = client.get(f"/admin/pages/{story.pk}/history/")
    assert response.status_code == 200
    assert "Wire picture arrived and was made the hero picture" in response.content.decode()


def test_a_protocol_relative_picture_is_recorded_as_the_address_fetched(home, tmp_path,
                                                                       wire_server):
    server = wire_server(refuse=1)
    path = tmp_path / "article.json"
    path.write_text(json.dumps(seed_article_with_picture(server, renditions=[
        {"name": "original", "href": " //127.0.0.1:9/wire/gone.jpg", "width": 800,
         "height": 450}])))
    run_import(path)
    remote = RemoteImage.objects.get(role="hero")
    assert remote.url == "https://127.0.0.1:9/wire/gone.jpg"  # what a retry asks for too
    assert remote.state == RemoteImage.State.WAITING


def test_a_story_made_without_revisions_gets_its_picture(world, wire_server):
    server = wire_server(refuse=0)
    story = world.add_child(instance=ArticlePage(title="Made in code", slug="made-in-code"))
    assert story.live and story.latest_revision is None
    remote = RemoteImage.objects.create(
        page=story, url=server.url(), role="hero", alt="A picture", problem="HTTP 503",
        state=RemoteImage.State.WAITING, attempts=1, next_attempt_at=timezone.now())
    [attempt] = retry_due(now=remote.next_attempt_at)
    assert attempt.outcome == "attached"
    story.refresh_from_db()
    assert story.live and story.hero_image is not None and story.hero_alt == "A picture"
