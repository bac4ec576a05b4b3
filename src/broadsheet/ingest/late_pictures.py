"""Wire pictures that arrive late: a story's picture that could not be fetched at import is
tried again in the background and given to the story when it comes.

Wires often send a story before its picture is on their server, and servers have bad
minutes. The story is published at once without the picture; the picture's `RemoteImage` waits
with the time of its next attempt. Each failure doubles the wait (from
BROADSHEET_IMPORT_PICTURE_RETRY_DELAY, 60 s by default, to at most a day) until the attempts
run out (BROADSHEET_IMPORT_PICTURE_ATTEMPTS, 10 by default, the import's own fetch included:
about eight and a half hours). Attempts, the next attempt's time and the latest error are kept
in the database, so a restart loses nothing and an operator can see why a picture is missing.

Run by the publishing scheduler's leader inside `broadsheet serve` (in a thread of its own, so
a slow picture server never delays publishing) and by `broadsheet retry_pictures`.

When the picture arrives it becomes the hero of the version readers see (published again, which
purges every cached page showing the story) and of an editor's unpublished draft, if there is
one. A story an editor has meanwhile given a picture of their own keeps it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from broadsheet.articles.models import ArticlePage
from broadsheet.ticks import InBackground

from .images import Fetcher, Unfetched
from .models import RemoteImage

log = logging.getLogger("broadsheet.ingest")
State = RemoteImage.State
BATCH = 20  # pictures per background pass; the next tick starts another if more are due
MAX_WAIT = timedelta(days=1)
# An attempt marks its picture as taken until then, so two runners (the server and the
# command, or an old and a new leader) never fetch it together. One that dies mid-fetch leaves
# the picture to be tried again after this.
CLAIM = timedelta(minutes=10)
LOG_ACTION = "broadsheet.wire_picture"


def max_attempts() -> int:
    return settings.BROADSHEET_INGEST["PICTURE_ATTEMPTS"]


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed fetch: doubling, at most a day."""
    first = settings.BROADSHEET_INGEST["PICTURE_RETRY_SECONDS"]
    return min(timedelta(seconds=first * 2 ** min(attempts - 1, 30)), MAX_WAIT)


def first_attempt(problem: str, *, role: str, now: datetime) -> dict:
    """The retry fields of a picture an import just failed to fetch: a hero picture that may
    come later waits for its next attempt; any other is recorded for an editor."""
    fetched = getattr(problem, "retry", False)  # a fetch was tried, and may work later
    fields = {"attempts": 1 if fetched else 0, "last_attempt_at": now if fetched else None,
              "next_attempt_at": None, "state": State.RECORDED}
    if fetched and role == RemoteImage.Role.HERO:
        if max_attempts() > 1:
            fields.update(state=State.WAITING, next_attempt_at=now + wait_after(1))
        else:
            fields.update(state=State.GAVE_UP)
    return fields


@dataclass
class Attempt:
    """What one attempt did: `outcome` is attached, waiting, gave_up, superseded or skipped."""

    remote: RemoteImage
    outcome: str
    detail: str = ""

    def line(self) -> str:
        story = f"page {self.remote.page_id} {self.remote.page.title!r}" \
            if self.remote.page_id else "no story"
        return f"{self.outcome}: {self.remote.url[:200]} for {story}" \
               + (f" ({self.detail})" if self.detail else "")


def due(*, now: datetime | None = None, everything: bool = False):
    """Hero pictures to try now, earliest first. `everything`: every picture still missing,
    due or not, including those out of attempts (an operator who fixed the network)."""
    rows = RemoteImage.objects.filter(role=RemoteImage.Role.HERO, page__isnull=False)
    if everything:
        return rows.filter(state__in=[State.WAITING, State.GAVE_UP]).order_by("pk")
    return (rows.filter(state=State.WAITING, next_attempt_at__lte=now or timezone.now())
            .order_by("next_attempt_at", "pk"))


def retry_due(*, now: datetime | None = None, limit: int | None = BATCH,
              everything: bool = False) -> list[Attempt]:
    """Try the pictures that are due once each; what happened to each."""
    now = now or timezone.now()
    ids = list(due(now=now, everything=everything).values_list("pk", flat=True)[:limit])
    fetcher = Fetcher()  # one per pass: a host that is down is asked once, not per picture
    attempts = []
    for pk in ids:
        remote = RemoteImage.objects.select_related("page").filter(pk=pk).first()
        if remote is not None:
            attempts.append(try_again(remote, fetcher=fetcher, now=now))
    return attempts


def try_again(remote: RemoteImage, *, fetcher: Fetcher, now: datetime) -> Attempt:
    """One attempt at one picture: fetch it, and give it to its story, or note why not."""
    claim = now + CLAIM
    taken = RemoteImage.objects.filter(pk=remote.pk, state=remote.state,
                                       next_attempt_at=remote.next_attempt_at) \
        .update(next_attempt_at=claim)
    if not taken:
        return Attempt(remote, "skipped", "another process is trying it")
    story = _story(remote)
    if story is None or _has_own_picture(story):
        return _superseded(remote)

    # The network first and outside any transaction: a transaction holds the database's write
    # lock (SQLite) for as long as it lasts.
    image = fetcher.known(remote.url)
    got = None if image else fetcher.download(remote.url)
    if isinstance(got, Unfetched):
        return _failed(remote, got, now)
    try:
        with transaction.atomic():
            current = RemoteImage.objects.select_for_update().filter(
                pk=remote.pk, next_attempt_at=claim).first()
            if current is None:  # the story was imported again meanwhile: a new record
                return Attempt(remote, "skipped", "the story was imported again")
            story = _story(current)
            if story is None or _has_own_picture(story):
                return _superseded(current)
            if image is None:
                image = fetcher.store(remote.url, *got,
                                      title=remote.caption or remote.alt or story.title)
            if story.workflow_in_progress:
                return _after_review(current, now)
            give_picture(story, image=image, remote=current)
            RemoteImage.objects.filter(pk=current.pk).update(
                state=State.FETCHED, image=image, attempts=current.attempts + 1,
                last_attempt_at=now, next_attempt_at=None)
    except Exception as exc:  # noqa: BLE001 — any failure is this attempt's, never the pass's
        log.exception("picture %s could not be given to page %s", remote.url, remote.page_id)
        return _failed(remote, Unfetched(f"was fetched but could not be given to the story: "
                                         f"{exc}", retry=True), now)
    log.info("picture %s arrived for page %s (%s)", remote.url, story.pk, story.url_path)
    return Attempt(remote, "attached")


def give_picture(story, *, image, remote: RemoteImage) -> None:
    """Make `image` the story's hero in every version that matters: the one readers see
    (published again), one scheduled to replace it (scheduled again, for the same time) and an
    editor's unpublished draft (saved again, still unpublished)."""
    live = (story.live_revision or story.latest_revision) if story.live else None
    if story.live and live is None:  # a page made in code, never given a revision
        _with_picture(story, image, remote).save_revision(log_action=LOG_ACTION).publish(
            log_action=True)
        return
    scheduled = (story.revisions.filter(approved_go_live_at__isnull=False)
                 .order_by("-created_at", "-pk").first())
    # In this order: publishing clears every schedule, so the scheduled version is scheduled
    # again after it, and the editor's draft, saved last, stays the latest.
    done = []
    for revision, publish in ((live, True), (scheduled, True), (story.latest_revision, False)):
        if revision is None or revision in done:
            continue
        done.append(revision)
        saved = _with_picture(revision.as_object(), image, remote).save_revision(
            log_action=LOG_ACTION)
        if publish:
            # Purges every cached page showing the story, after the commit; a version with a
            # go-live time still to come is scheduled for it instead.
            saved.publish(log_action=True)


def _with_picture(version, image, remote: RemoteImage):
    version.hero_image = image
    version.hero_caption, version.hero_credit = remote.caption, remote.credit
    version.hero_alt = remote.alt or remote.caption or version.title[:250]
    return version


def _story(remote: RemoteImage):
    return ArticlePage.objects.filter(pk=remote.page_id).first()


def _has_own_picture(story) -> bool:
    """The published story or the editor's latest version has a hero picture already."""
    latest = story.latest_revision
    return bool(story.hero_image_id or (latest and latest.content.get("hero_image")))


def _after_review(remote: RemoteImage, now: datetime) -> Attempt:
    """The story is in review: publishing now would cancel the review (Wagtail cancels a
    workflow on publish), and a new revision would change what the reviewer is reading. The
    picture is in the library now; it is given to the story at a later attempt, once the
    review is over. Not counted as a failed attempt: nothing failed."""
    next_at = now + wait_after(max(remote.attempts, 1))
    RemoteImage.objects.filter(pk=remote.pk).update(
        next_attempt_at=next_at, last_attempt_at=now,
        problem="fetched; waits for the story's review to finish")
    return Attempt(remote, "waiting", f"the story is in review; next at {next_at.isoformat()}")


def _superseded(remote: RemoteImage) -> Attempt:
    RemoteImage.objects.filter(pk=remote.pk).update(state=State.SUPERSEDED,
                                                    next_attempt_at=None)
    return Attempt(remote, "superseded", "the story has a picture of its own")


def _failed(remote: RemoteImage, problem: Unfetched, now: datetime) -> Attempt:
    attempts = remote.attempts + 1
    again = problem.retry and attempts < max_attempts()
    next_at = now + wait_after(attempts) if again else None
    RemoteImage.objects.filter(pk=remote.pk).update(
        attempts=attempts, problem=problem[:500], last_attempt_at=now, next_attempt_at=next_at,
        state=State.WAITING if again else State.GAVE_UP)
    if again:
        log.info("picture %s for page %s %s; next attempt at %s", remote.url, remote.page_id,
                 problem, next_at.isoformat())
        return Attempt(remote, "waiting", f"{problem}; attempt {attempts} of "
                                          f"{max_attempts()}, next at {next_at.isoformat()}")
    log.warning("gave up on picture %s for page %s after %d attempts: %s", remote.url,
                remote.page_id, attempts, problem)
    return Attempt(remote, "gave_up", f"{problem}; {attempts} attempts")


# In the server: the scheduler's leader looks every few seconds -----------------------------

_last_look = [0.0]


def _retry_all() -> None:
    for attempt in retry_due():
        log.debug("%s", attempt.line())


@task()
def retry_late_pictures() -> int:
    """Fetch again every picture that is due; returns how many were tried."""
    return sum(1 for _ in retry_due())


_pass = InBackground("broadsheet-late-pictures", _retry_all, task=retry_late_pictures)


def tick() -> None:
    """A scheduler tick: when pictures are due and no pass is running, start one in a
    thread of its own (a fetch can take seconds; publishing must not wait for it)."""
    if _pass.running:
        return
    look_every = min(5, settings.BROADSHEET_INGEST["PICTURE_RETRY_SECONDS"])
    if time.monotonic() - _last_look[0] < look_every:
        return
    _last_look[0] = time.monotonic()
    if due().exists():
        _pass.start()
