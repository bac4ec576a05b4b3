"""Background tasks on the database queue: retried when they fail and visible in the admin,
put back in the queue when their worker dies (SIGKILL), run by `broadsheet worker` on any
host or by `broadsheet serve`'s thread on one machine."""

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from broadsheet.workers import worker as workers
from broadsheet.workers.models import WorkerHeartbeat
from tests.serving import BIN
from tests.worker_tasks import fails_until

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings, db, monkeypatch):
    # The worker drops idle connections between tasks; here the test's transaction holds
    # the connection (closing it would end the test's isolation), so it stays open.
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(workers, "close_old_connections", lambda: None)
    settings.TASKS = DATABASE_QUEUE
    settings.BROADSHEET_WORKERS = {**settings.BROADSHEET_WORKERS, "QUEUE": "database",
                                   "ATTEMPTS": 3}


def run_worker():
    workers.BroadsheetWorker(worker_id="test-worker", batch=True, interval=0).run()


def make_due():
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def test_a_failing_task_is_retried_and_keeps_its_error_until_it_succeeds(queue, tmp_path):
    result = fails_until.enqueue(str(tmp_path / "runs"), 1)
    run_worker()
    row = DBTaskResult.objects.get(pk=result.id)
    # Queued again after a wait, with the first run's error kept for the admin.
    assert row.status == TaskResultStatus.READY and row.run_after > timezone.now()
    assert "run 1 fails on purpose" in row.traceback
    run_worker()  # not due yet: nothing runs
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
    make_due()
    run_worker()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == 2
    assert len(row.worker_ids) == 2


def test_a_task_failing_every_attempt_stays_failed_and_the_admin_shows_it(
        queue, tmp_path, admin_client):
    result = fails_until.enqueue(str(tmp_path / "runs"), 99)
    for _ in range(5):
        run_worker()
        make_due()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 3  # ATTEMPTS
    assert (tmp_path / "runs").read_text() == "3"
    listing = admin_client.get("/admin/background_tasks/?status=FAILED")
    assert listing.status_code == 200
    assert b"tests.worker_tasks.fails_until" in listing.content
    assert b"builtins.RuntimeError" in listing.content
    detail = admin_client.get(f"/admin/background_tasks/inspect/{row.pk}/")
    assert detail.status_code == 200 and b"run 3 fails on purpose" in detail.content


def test_running_tasks_of_a_worker_not_heard_from_are_queued_again(queue, settings, tmp_path):
    lost = settings.BROADSHEET_WORKERS["LOST_AFTER_SECONDS"]
    now = timezone.now()
    gone = fails_until.enqueue(str(tmp_path / "a"), 0)
    alive = fails_until.enqueue(str(tmp_path / "b"), 0)
    DBTaskResult.objects.filter(pk=gone.id).update(status=TaskResultStatus.RUNNING,
                                                   worker_ids=["gone"])
    DBTaskResult.objects.filter(pk=alive.id).update(status=TaskResultStatus.RUNNING,
                                                    worker_ids=["alive"])
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=now - timedelta(seconds=lost + 1))
    WorkerHeartbeat.objects.create(worker_id="alive", seen_at=now - timedelta(seconds=1))
    assert workers.requeue_lost(now) == 1
    assert DBTaskResult.objects.get(pk=gone.id).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=alive.id).status == TaskResultStatus.RUNNING
    run_worker()
    assert DBTaskResult.objects.get(pk=gone.id).status == TaskResultStatus.SUCCESSFUL


def test_the_worker_command_refuses_without_a_database_queue(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="BROADSHEET_TASKS=database"):
        call_command("worker", "--batch")


def shell(env, code):
    return subprocess.run([BIN, "shell", "-c", code], env=env, check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_a_task_whose_worker_is_killed_is_run_by_another_worker(tmp_path):
    """Real processes on one embedded site: `broadsheet worker` starts a slow task and is
    SIGKILLed; a second worker runs the task to the end once the first is known lost."""
    env = {**os.environ, "BROADSHEET_DATA_DIR": str(tmp_path / "data"),
           "BROADSHEET_TASKS": "database", "BROADSHEET_WORKER_LOST_AFTER": "2",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "DJANGO_SETTINGS_MODULE": "broadsheet.settings.embedded"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    subprocess.run([BIN, "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    marker = str(tmp_path / "slow")
    shell(env, f"from tests.worker_tasks import slow_write\nslow_write.enqueue({marker!r}, 3)")
    first = subprocess.Popen([BIN, "worker", "--interval", "0.2"], env=env,
                             start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: Path(marker + ".started").exists(), 60, "the first worker to start")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not Path(marker).exists()  # killed mid-task
    second = subprocess.Popen([BIN, "worker", "--interval", "0.2"], env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: Path(marker).exists(), 60, "the second worker to finish the task")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)
    starts = Path(marker + ".started").read_text().split()
    assert starts == [str(first.pid), str(second.pid)]
    status = shell(env, "from django_tasks_db.models import DBTaskResult\n"
                        "print(DBTaskResult.objects.get(task_path__endswith='slow_write').status)")
    assert status.splitlines()[-1] == "SUCCESSFUL"


def test_a_tick_queues_background_work_once_for_any_worker_instead_of_a_thread(queue, settings):
    from broadsheet.edge import outbox
    from broadsheet.edge.models import PendingPurge
    from tests.serving import free_port

    settings.BROADSHEET_EDGE = [f"varnish://127.0.0.1:{free_port()}"]  # nothing listens
    outbox.enqueue({"page:1"})
    outbox.tick()
    outbox.tick()  # already queued: not twice
    queued = DBTaskResult.objects.filter(task_path="broadsheet.edge.outbox.deliver_purges")
    assert queued.count() == 1 and outbox._sender.thread is None
    run_worker()
    assert queued.get().status == TaskResultStatus.SUCCESSFUL
    assert PendingPurge.objects.get().attempts == 1  # tried, failed, waits for its next go


def test_finished_tasks_are_forgotten_after_a_while_and_failures_kept_longer(queue, tmp_path):
    from broadsheet.ticks import TICK_HOOKS

    assert workers.tick in TICK_HOOKS
    ok = fails_until.enqueue(str(tmp_path / "ok"), 0)
    bad = fails_until.enqueue(str(tmp_path / "bad"), 99)
    for _ in range(4):
        run_worker()
        make_due()
    week_on = timezone.now() + timedelta(days=8)
    assert workers.prune_finished(week_on) == 1
    assert not DBTaskResult.objects.filter(pk=ok.id).exists()
    assert DBTaskResult.objects.filter(pk=bad.id).exists()  # a failure, kept to look into
    assert workers.prune_finished(timezone.now() + timedelta(days=31)) == 1


def test_a_newsletter_confirmation_is_a_task_a_worker_sends(queue, client):
    from django.core import mail

    from broadsheet.newsletters.models import Newsletter

    briefing = Newsletter.objects.create(name="Morning briefing", slug="morning")
    answer = client.post("/newsletters/signup/", {"email": "queued@example.org",
                                                  "newsletters": [briefing.pk]})
    assert answer.status_code == 200
    assert mail.outbox == []  # queued for a worker, not sent in the reader's request
    run_worker()
    assert [m.to for m in mail.outbox] == [["queued@example.org"]]
