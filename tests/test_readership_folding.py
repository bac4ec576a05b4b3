"""Acknowledged views reach the database exactly once: across folds, interrupted folds,
several folding processes and a writer that died mid-line; repeats within the window and
within the hour are told apart."""

import threading
import time

import pytest
from django.db import IntegrityError

from broadsheet.host import host_label
from broadsheet.readership import folding, journal
from broadsheet.readership.counting import View
from broadsheet.readership.folding import Folder, fold
from broadsheet.readership.models import HourlyViews, JournalCursor, PageView, StoryScore

MIN = 60_000
HOUR = 3_600_000


@pytest.fixture
def stories(world, make_story):
    return [make_story(world, f"Folded {c}") for c in "AB"]


def hour_start(ms):
    return ms - ms % HOUR


def test_a_fold_counts_each_journalled_view_once(stories):
    now = int(time.time() * 1000)
    for n in range(50):
        journal.record(View(now, stories[n % 2].pk, f"v{n}"))
    assert fold() == 50
    assert fold() == 0  # the cursors moved with the rows
    journal.record(View(now, stories[0].pk, "late"))
    assert fold() == 1
    assert PageView.objects.count() == 51


def test_repeat_views_within_the_window_count_once(stories):
    t = hour_start(int(time.time() * 1000)) - 2 * HOUR  # a whole hour, two hours ago
    story = stories[0].pk
    for at in (t, t + 10 * MIN, t + 29 * MIN, t + 31 * MIN, t + 62 * MIN):
        journal.record(View(at, story, "same-reader"))
    fold()
    counted = sorted(PageView.objects.values_list("viewed_at", flat=True))
    assert len(counted) == 3  # t, t+31 (after the window), t+62 (after it again)
    hours = {h.hour.timestamp() * 1000: (h.views, h.visitors)
             for h in HourlyViews.objects.filter(page_id=story)}
    # Two views in the first hour by one visitor; one in the next.
    assert hours == {t: (2, 1), t + HOUR: (1, 1)}
    site = {h.hour.timestamp() * 1000: (h.views, h.visitors)
            for h in HourlyViews.objects.filter(page=None)}
    assert site == {t: (2, 1), t + HOUR: (1, 1)}


def test_two_folding_processes_still_count_a_reload_once(stories):
    """Each process has its own memory of recent views; the fold generation tells one that
    the other folded in between, and it rebuilds from the database."""
    a, b = Folder(), Folder()
    now = int(time.time() * 1000)
    journal.record(View(now, stories[0].pk, "r1"))
    assert a.fold()[0] == 1
    journal.record(View(now + MIN, stories[0].pk, "r1"))  # the reload, folded by b
    assert b.fold()[0] == 0
    journal.record(View(now + 2 * MIN, stories[0].pk, "r1"))  # and again, by a
    assert a.fold()[0] == 0
    assert PageView.objects.count() == 1


def test_hosts_fold_their_own_journals_and_a_reload_on_another_host_counts_once(
        stories, settings, tmp_path, monkeypatch):
    """Two hosts, two data directories: each folds only its own journal, under its own
    segment names, and learns what the other folded from the view records added since its
    last fold (not by rereading the last hour)."""
    rebuilds = []
    real_rebuild = Folder._rebuild
    monkeypatch.setattr(Folder, "_rebuild", lambda self, ms: (rebuilds.append(self),
                                                              real_rebuild(self, ms)))
    hosts = {}
    for name in "ab":
        hosts[name] = (tmp_path / name, Folder())

    def on(name):
        data_dir, folder = hosts[name]
        settings.DATA_DIR = data_dir
        settings.BROADSHEET_READERSHIP = {**settings.BROADSHEET_READERSHIP,
                                          "JOURNAL_DIR": data_dir / "views"}
        journal._journal[:] = [None, 0]  # this "process" now writes to the host's journal
        return folder

    now = int(time.time() * 1000)
    on("a")
    journal.record(View(now, stories[0].pk, "r1"))
    journal.record(View(now, stories[1].pk, "r2"))
    label_a = host_label()
    b = on("b")
    label_b = host_label()
    journal.record(View(now + MIN, stories[0].pk, "r1"))  # r1's reload reached host b
    assert label_a != label_b
    assert b.fold()[0] == 1  # b folds its own view only; a's journal waits for a
    assert PageView.objects.filter(visitor="r1").count() == 1
    a = on("a")
    assert a.fold()[0] == 1  # r2 counts; r1 at `now` is a repeat of b's r1 at now + 1 min
    assert sorted(PageView.objects.values_list("visitor", flat=True)) == ["r1", "r2"]
    b = on("b")
    journal.record(View(now + 2 * MIN, stories[1].pk, "r2"))  # r2's reload, on host b
    assert b.fold()[0] == 0
    assert PageView.objects.count() == 2
    assert {c.split("-")[1] for c in JournalCursor.objects.values_list("segment", flat=True)
            } == {label_a, label_b}
    assert len(rebuilds) == 2  # each folder rebuilt once, at its first fold; then caught up


def test_a_fold_with_nothing_to_count_writes_nothing(stories):
    """An idle host folds every second too; bumping the generation would make every busy
    host catch up after each of its folds."""
    from broadsheet.readership.models import FoldState

    journal.record(View(int(time.time() * 1000), stories[0].pk, "once"))
    assert fold() == 1
    generation = FoldState.objects.get().generation
    assert fold() == 0
    assert FoldState.objects.get().generation == generation


def test_an_interrupted_fold_leaves_nothing_half_done(stories, monkeypatch):
    now = int(time.time() * 1000)
    for n in range(10):
        journal.record(View(now, stories[0].pk, f"i{n}"))
    real = JournalCursor.objects.create

    def fail(**kwargs):  # the rows are written; then the cursor write fails
        raise IntegrityError("simulated crash before commit")

    monkeypatch.setattr(JournalCursor.objects, "create", fail)
    with pytest.raises(IntegrityError):
        fold()
    assert PageView.objects.count() == 0 and not HourlyViews.objects.exists()
    monkeypatch.setattr(JournalCursor.objects, "create", real)
    assert fold() == 10
    assert HourlyViews.objects.get(page_id=stories[0].pk).views == 10


def test_a_torn_last_line_is_not_folded_until_it_is_whole(stories, settings):
    base = journal.directory()
    base.mkdir(parents=True, exist_ok=True)
    segment = base / "views-otherhost-1-1.log"
    now = int(time.time() * 1000)
    whole = journal.encode(View(now, stories[0].pk, "w1"))
    torn = journal.encode(View(now, stories[1].pk, "w2"))
    segment.write_bytes(whole + torn[:10])
    assert fold() == 1
    with open(segment, "ab") as fh:
        fh.write(torn[10:])
    assert fold() == 1
    assert PageView.objects.count() == 2


def test_segments_of_finished_writers_are_deleted_after_folding(stories):
    base = journal.directory()
    base.mkdir(parents=True, exist_ok=True)
    dead = base / f"views-{host_label()}-999999999-1.log"  # no such process
    now = int(time.time() * 1000)
    dead.write_bytes(journal.encode(View(now, stories[0].pk, "d1")) + b"12345\tto")
    journal.record(View(now, stories[1].pk, "live"))  # this process's own segment
    assert fold() == 2
    assert not dead.exists()  # folded; its torn tail was never acknowledged
    assert [p.name for p in base.iterdir()] == [journal.journal().name]
    assert list(JournalCursor.objects.values_list("segment", flat=True)) == [
        journal.journal().name]


def test_group_commit_loses_nothing_under_concurrent_appends(stories, settings):
    settings.BROADSHEET_READERSHIP = {**settings.BROADSHEET_READERSHIP, "JOURNAL_SYNC": True}
    folding.reset_memory()
    now = int(time.time() * 1000)

    def reader(t):
        for n in range(200):
            journal.record(View(now, stories[n % 2].pk, f"t{t}n{n}"))

    threads = [threading.Thread(target=reader, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fold() == 1600


def test_only_stories_get_popular_scores(home, stories):
    now = int(time.time() * 1000)
    journal.record(View(now, home.pk, "h"))
    journal.record(View(now, stories[0].pk, "h"))
    fold()
    assert list(StoryScore.objects.values_list("page_id", flat=True)) == [stories[0].pk]
    assert StoryScore.objects.get().section_id == stories[0].get_parent().pk


def test_a_journal_larger_than_one_fold_is_folded_completely(stories, monkeypatch):
    monkeypatch.setattr(folding, "MAX_FOLD_BYTES", 700)  # about ten lines per fold
    base = journal.directory()
    base.mkdir(parents=True, exist_ok=True)
    now = int(time.time() * 1000)
    for w in range(3):  # three dead writers' segments, and this process's own
        (base / f"views-{host_label()}-99999999{w}-1.log").write_bytes(b"".join(
            journal.encode(View(now, stories[n % 2].pk, f"w{w}n{n}")) for n in range(45)))
    for n in range(20):
        journal.record(View(now, stories[0].pk, f"own{n}"))
    assert fold() == 155
    assert PageView.objects.count() == 155
    assert fold() == 0
    assert [p.name for p in base.iterdir()] == [journal.journal().name]
