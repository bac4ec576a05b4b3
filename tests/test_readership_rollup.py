"""Raw views are dropped after the retention period (a site setting); hourly counts stay;
old salts are destroyed; every host's scheduler folds its own journal."""

import time
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from broadsheet.readership import journal
from broadsheet.readership.counting import View, forget_settings, todays_salt
from broadsheet.readership.folding import fold
from broadsheet.readership.models import DailySalt, HourlyViews, PageView, ReadershipSettings
from broadsheet.readership.rollup import clean_up, fold_tick, tick
from broadsheet.ticks import HOST_TICK_HOOKS, TICK_HOOKS, run_tick_hooks

DAY = 86_400_000


def test_views_past_retention_are_deleted_and_hourly_counts_kept(world, make_story):
    story = make_story(world)
    now = int(time.time() * 1000)
    for age_days in (0, 10, 29, 31, 45):
        journal.record(View(now - age_days * DAY, story.pk, f"v{age_days}"))
    fold()
    assert clean_up()["views_deleted"] == 2  # the 31- and 45-day-old ones (default 30 days)
    assert PageView.objects.count() == 3
    assert HourlyViews.objects.filter(page=story).count() == 5

    ReadershipSettings.objects.update_or_create(defaults={"retention_days": 7})
    forget_settings()
    assert clean_up()["views_deleted"] == 2
    assert PageView.objects.count() == 1
    assert sum(HourlyViews.objects.filter(page=story).values_list("views", flat=True)) == 5


def test_yesterdays_salt_is_destroyed(db):
    today = timezone.now().date()
    DailySalt.objects.create(day=today - timedelta(days=1), salt="yesterday")
    DailySalt.objects.create(day=today - timedelta(days=5), salt="older")
    salt = todays_salt(today)
    assert list(DailySalt.objects.values_list("salt", flat=True)) == [salt]
    assert len(salt) == 64 and todays_salt(today) == salt


def test_each_hosts_scheduler_folds_its_views_and_the_leader_cleans_up(world, make_story):
    story = make_story(world)
    # Registered by the readership app: folding on every host, clean-up by the leader only.
    assert fold_tick in HOST_TICK_HOOKS and fold_tick not in TICK_HOOKS
    assert tick in TICK_HOOKS and tick not in HOST_TICK_HOOKS
    journal.record(View(int(time.time() * 1000), story.pk, "s1"))
    run_tick_hooks()  # the leader's hooks do not fold
    assert PageView.objects.filter(page=story).count() == 0
    run_tick_hooks(HOST_TICK_HOOKS)
    assert PageView.objects.filter(page=story).count() == 1


def test_rollup_views_command_folds_and_prunes(world, make_story, capsys):
    story = make_story(world)
    now = int(time.time() * 1000)
    journal.record(View(now, story.pk, "c1"))
    journal.record(View(now - 40 * DAY, story.pk, "c2"))
    call_command("rollup_views")
    assert "folded 2 views; deleted 1 view records past retention" in capsys.readouterr().out
    assert PageView.objects.count() == 1


def test_rebuild_recomputes_counts_from_view_records(world, make_story):
    from broadsheet.readership.models import StoryScore
    from broadsheet.readership.popular import most_read_ids

    a, b = make_story(world), make_story(world)
    now = timezone.now()
    PageView.objects.bulk_create(  # as the demo, or an install from before hourly counts
        [PageView(page=a, visitor=f"a{i}", viewed_at=now) for i in range(3)]
        + [PageView(page=b, visitor="b0", viewed_at=now), PageView(page=b, visitor="b0",
                                                                   viewed_at=now)])
    call_command("rollup_views", "--rebuild")
    assert HourlyViews.objects.get(page=a).visitors == 3
    assert (HourlyViews.objects.get(page=b).views, HourlyViews.objects.get(page=b).visitors) == (
        2, 1)
    assert HourlyViews.objects.get(page=None).visitors == 4
    assert StoryScore.objects.count() == 2 and most_read_ids(5) == [a.pk, b.pk]
