"""Folding acknowledged views from the journal into the database, exactly once.

One fold is one transaction: it locks the FoldState row, reads every journal segment from
its cursor, drops repeat views (the same visitor and page within the repeat window), inserts
the counted views, adds them to the hourly counts and to the stories' Popular scores, and
moves the cursors, all of which commit together or not at all. A fold interrupted at any
point (SIGKILL included) leaves the cursors where the last commit put them, so the next
fold, in this process or any other, picks up exactly there.

Repeat detection needs the recent past, which the folder keeps in memory: for every page and
visitor, the last counted view (kept to the end of its hour, so a visitor also counts once
per hour for the hourly visitors and the Popular score). When another process folded in
between (FoldState.generation tells), the folder reads only the view records added since its
own last fold: with several hosts, each folding its own journal every second, a reader whose
reloads reached different hosts still counts once, and no fold rereads the last hour. The
memory is rebuilt whole when the process starts, or when a fold reaches back before what it
remembers (a journal replayed after long downtime).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import TruncHour
from django.utils import timezone
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from broadsheet.sections.models import SectionPage

from . import beacon, counting, journal
from .counting import View
from .models import FoldState, HourlyViews, JournalCursor, PageView, StoryScore

log = logging.getLogger("broadsheet.readership")
HOUR_MS = 3_600_000
MAX_FOLD_BYTES = 32 * 1024 * 1024  # about 400,000 views: bounds one transaction
LANDMARK_EVERY = timedelta(days=7)


def half_life_ms() -> int:
    return settings.BROADSHEET_READERSHIP["HALF_LIFE_HOURS"] * HOUR_MS


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _db_times():
    """A function from epoch milliseconds to the database's datetime parameter. Django's
    own adapter costs 6 us a value on SQLite, as much as inserting the row; this writes the
    same text (naive UTC, microseconds only when non-zero) from a per-second cache."""
    if connection.vendor != "sqlite":
        adapt = connection.ops.adapt_datetimefield_value
        return lambda ms: adapt(_dt(ms))
    seconds: dict[int, str] = {}
    gmtime, strftime = time.gmtime, time.strftime

    def sqlite_time(ms: int) -> str:
        sec, rem = divmod(ms, 1000)
        prefix = seconds.get(sec)
        if prefix is None:
            if len(seconds) > 100_000:
                seconds.clear()
            prefix = seconds[sec] = strftime("%Y-%m-%d %H:%M:%S", gmtime(sec))
        return f"{prefix}.{rem:03d}000" if rem else prefix

    return sqlite_time


class Folder:
    def __init__(self):
        self.generation: int | None = None
        self.recent: dict[tuple[int, str], int] = {}  # (page, visitor) -> last counted ms
        self.site: dict[str, int] = {}  # visitor -> hour (ms) of their last counted view
        # page -> its section's id (0: none) if a story; None: another page; False: deleted
        self.pages: dict[int, int | None | bool] = {}
        self.seen_id = 0  # every view record up to this id is in the memory
        self.horizon_ms = 0  # the memory knows nothing of views before this
        self.lock = threading.Lock()

    # -- memory ------------------------------------------------------------------------------
    def _rebuild(self, now_ms: int) -> None:
        window = settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"] * 1000
        since_ms = min(now_ms - window, now_ms - now_ms % HOUR_MS) - HOUR_MS
        self.seen_id = PageView.objects.aggregate(m=Max("id"))["m"] or 0
        rows = (PageView.objects.filter(viewed_at__gte=_dt(since_ms), id__lte=self.seen_id)
                .values("page_id", "visitor").annotate(last=Max("viewed_at"))
                .values_list("page_id", "visitor", "last"))
        self.recent, self.site = {}, {}
        for page_id, visitor, last in rows.iterator(chunk_size=5000):
            self._remember(page_id, visitor, _ms(last))
        self.horizon_ms = since_ms

    def _remember(self, page_id: int, visitor: str, at_ms: int) -> None:
        key = (page_id, visitor)
        if self.recent.get(key, -1) < at_ms:
            self.recent[key] = at_ms
        hour = at_ms - at_ms % HOUR_MS
        if self.site.get(visitor, -1) < hour:
            self.site[visitor] = hour

    def _catch_up(self) -> None:
        """Add to the memory the views other processes (other hosts) folded since ours."""
        rows = (PageView.objects.filter(id__gt=self.seen_id)
                .values_list("id", "page_id", "visitor", "viewed_at"))
        for view_id, page_id, visitor, viewed_at in rows.iterator(chunk_size=5000):
            self._remember(page_id, visitor, _ms(viewed_at))
            self.seen_id = max(self.seen_id, view_id)

    def _forget_old(self, now_ms: int) -> None:
        window = settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"] * 1000
        hour = now_ms - now_ms % HOUR_MS
        # An entry is needed while it can still make a view a repeat (the window) and while
        # its hour is open (a visitor counts once per hour).
        keep_after = min(now_ms - window, hour) - HOUR_MS
        if len(self.recent) > 10_000:
            self.recent = {k: v for k, v in self.recent.items() if v >= keep_after}
            self.horizon_ms = max(self.horizon_ms, keep_after)
        if len(self.site) > 10_000:
            self.site = {k: v for k, v in self.site.items() if v >= hour - HOUR_MS}
            self.horizon_ms = max(self.horizon_ms, hour - HOUR_MS)

    def _page_kinds(self, page_ids: set[int]) -> None:
        """Which pages exist, and for stories, their section (for per-section Popular)."""
        unknown = [i for i in page_ids if i not in self.pages]
        if not unknown:
            return
        paths = dict(Page.objects.filter(id__in=unknown).values_list("id", "path"))
        stories = set(ArticlePage.objects.filter(id__in=paths).values_list("id", flat=True))
        parents = {paths[i][:-Page.steplen] for i in stories}
        sections = dict(SectionPage.objects.filter(path__in=parents).values_list("path", "id"))
        for page_id in unknown:
            if page_id not in paths:
                self.pages[page_id] = False  # deleted since the view was acknowledged
            elif page_id in stories:  # 0: a story outside any section
                self.pages[page_id] = sections.get(paths[page_id][:-Page.steplen], 0)
            else:
                self.pages[page_id] = None
        if len(self.pages) > 200_000:
            self.pages.clear()

    # -- the fold ----------------------------------------------------------------------------
    def fold(self, *, now: datetime | None = None,
             max_bytes: int | None = None) -> tuple[int, bool]:
        """Fold what the journal holds, up to `max_bytes` of it; returns how many views were
        counted and whether the budget ran out (there is more to fold)."""
        with self.lock:
            try:
                return self._fold(now or timezone.now(), max_bytes or MAX_FOLD_BYTES)
            except BaseException:
                self.generation = None  # memory may be ahead of the rolled-back database
                raise

    def _fold(self, now: datetime, max_bytes: int) -> tuple[int, bool]:
        base = journal.directory()
        if not base.exists():
            return 0, False
        names = sorted(p.name for p in base.glob("views-*.log"))
        now_ms = _ms(now)
        counted = 0
        with transaction.atomic():
            state = FoldState.objects.select_for_update().filter(pk=1).first()
            if state is None:
                state, _ = FoldState.objects.get_or_create(pk=1, defaults={"landmark": now})
            stale = state.generation != self.generation
            cursors = {c.segment: c for c in JournalCursor.objects.all()}
            views, ends, budget, more = [], {}, max_bytes, False
            for name in names:
                start = cursors[name].offset if name in cursors else 0
                with open(base / name, "rb") as fh:
                    fh.seek(start)
                    data = fh.read(budget)
                end = data.rfind(b"\n") + 1  # only whole lines: a torn tail was never acked
                if end:
                    views.extend(journal.decode(line) for line in data[:end].splitlines())
                    ends[name] = start + end
                    budget -= end
                if len(data) and len(data) >= budget + end:  # stopped by the budget
                    more = True
                    break
            if views:
                counted = self._fold_views(views, ends, cursors, state, stale, now)
        if views:
            self.generation = state.generation
        self._forget_old(now_ms)
        self._remove_finished(names, {**{n: c.offset for n, c in cursors.items()}, **ends})
        return counted, more

    def _fold_views(self, views: list[View], ends: dict[str, int], cursors: dict,
                    state: FoldState, stale: bool, now: datetime) -> int:
        """Count `views` and move the cursors to `ends`, in the fold's transaction. A fold
        with nothing to count writes nothing, not even the generation: an idle host would
        otherwise make every busy one catch up every second."""
        now_ms = _ms(now)
        oldest = min([now_ms, *(v.at_ms for v in views)])
        if stale and self.generation is not None and oldest >= self.horizon_ms:
            self._catch_up()
            self.pages.clear()  # pages may have moved or gone since
        elif stale:
            # From before the oldest view to fold: a journal replayed after downtime holds
            # views older than now, and their repeats may already be folded.
            self._rebuild(oldest)
            self.pages.clear()
        self._maybe_move_landmark(state, now)
        counted = self._count(views, state, now_ms)
        self.seen_id = PageView.objects.aggregate(m=Max("id"))["m"] or 0
        for name, offset in ends.items():
            if name in cursors:
                JournalCursor.objects.filter(pk=cursors[name].pk).update(offset=offset)
            else:
                JournalCursor.objects.create(segment=name, offset=offset)
        state.generation += 1
        state.save(update_fields=["generation", "landmark"])
        return counted

    def _count(self, views: list[View], state: FoldState, now_ms: int) -> int:
        window = settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"] * 1000
        self._page_kinds({v.page_id for v in views})
        landmark_ms, half = _ms(state.landmark), half_life_ms()
        rows = []
        hourly: dict[tuple[int, int | None], list[int]] = defaultdict(lambda: [0, 0])
        scores: dict[int, float] = defaultdict(float)
        db_time = _db_times()
        views.sort(key=lambda v: v.at_ms)
        for v in views:
            kind = self.pages.get(v.page_id, False)
            if kind is False:
                continue
            key = (v.page_id, v.visitor)
            last = self.recent.get(key)
            if last is not None and abs(v.at_ms - last) < window:
                continue  # a reload, or the same reader back too soon
            hour = v.at_ms - v.at_ms % HOUR_MS
            first_in_hour = last is None or last - last % HOUR_MS != hour
            self.recent[key] = max(v.at_ms, last or 0)
            rows.append((v.page_id, v.visitor, db_time(v.at_ms), v.referrer, v.utm_source,
                         v.utm_medium, v.utm_campaign, v.device))
            page_counts = hourly[(hour, v.page_id)]
            page_counts[0] += 1
            site_counts = hourly[(hour, None)]
            site_counts[0] += 1
            if first_in_hour:
                page_counts[1] += 1
                if kind is not None:  # a story: the unique view feeds Popular
                    scores[v.page_id] += 2.0 ** ((v.at_ms - landmark_ms) / half)
            if self.site.get(v.visitor, -1) != hour:
                self.site[v.visitor] = max(hour, self.site.get(v.visitor, -1))
                site_counts[1] += 1
        if not rows:
            return 0
        # Raw SQL for speed (tens of thousands of rows a second); the table names come from
        # our own models, every value is a parameter.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {PageView._meta.db_table} (page_id, visitor, viewed_at, referrer, "  # noqa: S608, E501
                "utm_source, utm_medium, utm_campaign, device) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
            table = HourlyViews._meta.db_table
            upsert = (f"INSERT INTO {table} (hour, page_id, views, visitors) "  # noqa: S608
                      "VALUES (%s, %s, %s, %s) ON CONFLICT {target} DO UPDATE SET "
                      f"views = {table}.views + excluded.views, "
                      f"visitors = {table}.visitors + excluded.visitors")
            cursor.executemany(upsert.format(target="(page_id, hour)"), [
                (db_time(h), p, n, u) for (h, p), (n, u) in hourly.items() if p is not None])
            cursor.executemany(upsert.format(target="(hour) WHERE page_id IS NULL"), [
                (db_time(h), None, n, u) for (h, p), (n, u) in hourly.items() if p is None])
            table = StoryScore._meta.db_table
            cursor.executemany(
                f"INSERT INTO {table} (page_id, section_id, score) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (page_id) DO UPDATE SET score = {table}.score + excluded.score",
                [(p, self.pages[p] or None, s) for p, s in scores.items()])
        return len(rows)

    def _maybe_move_landmark(self, state: FoldState, now: datetime) -> None:
        """Scores are stored relative to a landmark time; moving it forward every week keeps
        the exponent small (2 ** 28 at most with a 6-hour half-life) without changing any
        ranking."""
        if now - state.landmark < LANDMARK_EVERY:
            return
        shift = _ms(now) - _ms(state.landmark)
        StoryScore.objects.update(score=F("score") * 2.0 ** (-shift / half_life_ms()))
        state.landmark = now

    def _remove_finished(self, names: list[str], offsets: dict[str, int]) -> None:
        """Delete segments that are folded to the end and will not grow again: their writer
        has moved to a newer segment, or is gone. The file goes before its cursor: a cursor
        without a file is harmless, a file without its cursor would be folded twice."""
        base = journal.directory()
        newest: dict[tuple, str] = {}
        for name in names:
            writer = journal.segment_writer(name)
            if writer is not None:
                newest[writer] = max(newest.get(writer, ""), name)
        done = []
        for name in names:
            writer = journal.segment_writer(name)
            try:
                size = (base / name).stat().st_size
            except FileNotFoundError:
                done.append(name)
                continue
            moved_on = writer is not None and newest[writer] != name
            if offsets.get(name, -1) >= size and (moved_on or not journal.writer_alive(name)):
                (base / name).unlink(missing_ok=True)
                done.append(name)
            elif (not journal.writer_alive(name) and 0 < size - offsets.get(name, 0) < 4096
                  and b"\n" not in _tail(base / name, offsets.get(name, 0))):
                # A dead writer's unterminated last line: it was never acknowledged.
                log.warning("dropping the torn tail of %s (%d bytes)", name,
                            size - offsets.get(name, 0))
                (base / name).unlink(missing_ok=True)
                done.append(name)
        if done:
            JournalCursor.objects.filter(segment__in=done).delete()


def _tail(path, offset: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read()


_folder = Folder()


def fold(*, now: datetime | None = None) -> int:
    """Fold everything journalled so far (with this process's folder). Returns the number
    of views counted."""
    total, more = 0, True
    while more:
        counted, more = _folder.fold(now=now)
        total += counted
    return total


def decayed(score: float, *, landmark: datetime, now: datetime) -> float:
    """A stored score as it stands at `now`: the sum over unique views of 2 ** -(age / h)."""
    return score * math.pow(2.0, (_ms(landmark) - _ms(now)) / half_life_ms())


def reset_memory() -> None:
    """Forget everything this process remembers about readership (pages, salts, settings,
    recent views, its journal): for tests, whose databases are rolled back under it."""

    global _folder
    _folder = Folder()
    beacon.countable.forget()
    counting._salt_memory.clear()
    counting.forget_settings()
    if journal._journal[0] is not None:
        journal._journal[0].close()
    journal._journal[:] = [None, 0]


def rebuild_counts(*, now: datetime | None = None) -> int:
    """Recompute the hourly counts and Popular scores of every hour that has view records,
    from those records (views written directly, as the demo does, or kept from before hourly
    counts existed). Hours older than the oldest record keep their counts. A rebuilt score
    puts each hour's unique views at the middle of the hour. Returns the hours rebuilt."""
    now = now or timezone.now()
    with transaction.atomic():
        state = FoldState.objects.select_for_update().filter(pk=1).first()
        if state is None:
            state, _ = FoldState.objects.get_or_create(pk=1, defaults={"landmark": now})
        oldest = PageView.objects.aggregate(t=Min("viewed_at"))["t"]
        if oldest is None:
            return 0
        since = oldest.replace(minute=0, second=0, microsecond=0)
        HourlyViews.objects.filter(hour__gte=since).delete()
        hour = TruncHour("viewed_at", tzinfo=UTC)
        per_page = list(PageView.objects.annotate(h=hour).values("h", "page_id")
                        .annotate(n=Count("id"), u=Count("visitor", distinct=True)))
        per_site = list(PageView.objects.annotate(h=hour).values("h")
                        .annotate(n=Count("id"), u=Count("visitor", distinct=True)))
        HourlyViews.objects.bulk_create(
            [HourlyViews(hour=r["h"], page_id=r["page_id"], views=r["n"], visitors=r["u"])
             for r in per_page]
            + [HourlyViews(hour=r["h"], page=None, views=r["n"], visitors=r["u"])
               for r in per_site], batch_size=2000)
        folder = Folder()
        folder._page_kinds({r["page_id"] for r in per_page})
        landmark, half = _ms(state.landmark), half_life_ms()
        scores: dict[int, float] = defaultdict(float)
        for r in per_page:
            kind = folder.pages.get(r["page_id"])
            if kind is not None and kind is not False:  # a story
                scores[r["page_id"]] += r["u"] * 2.0 ** (
                    (_ms(r["h"]) + HOUR_MS // 2 - landmark) / half)
        StoryScore.objects.all().delete()
        StoryScore.objects.bulk_create([
            StoryScore(page_id=p, section_id=folder.pages[p] or None, score=s)
            for p, s in scores.items()], batch_size=2000)
        state.generation += 1
        state.save(update_fields=["generation"])
    return len(per_site)
