"""Sending a newsletter to 100,000 readers: speed, memory, and exactly-once with a SIGKILL.

    .venv/bin/python bench/newsletters.py [--recipients 100000] [--kill-recipients 10000]
                                          [--small-kills 3] [--lost-after 3] [--keep]

A throwaway embedded site (SQLite, `broadsheet setup --no-demo`, a section with eight live
stories), the newsletter `morning` with `--recipients` confirmed readers and `evening` with
the first `--kill-recipients` of them, inserted in bulk. Mail goes to the aiosmtpd sink of
tests/smtp_sink.py, run as its own process (bench/smtp_sink.py) on a free loopback port,
counting per recipient and per Message-ID; a fresh sink for every send, so its figures are
that edition's.

- building: the queries `editions.build()` makes with 100 readers and with `--recipients`
  (in-process, CaptureQueriesContext, after one warming build); and the queries a send makes
  per batch (1,000 then 2,000 readers sent in-process, as tests/test_newsletters_sending.py
  counts them).
- speed: `broadsheet newsletter send morning` in a process of its own, timed from start to
  exit; its RSS polled from /proc every 0.25 s (at 10 % and 90 % of the messages, to see
  whether memory stays flat) and its peak from wait4's rusage.
- kill: a fresh edition of `morning` to the same readers; the sender is SIGKILLed once the
  sink has 40 % of them, then `broadsheet newsletter resume` goes on once the lease lapsed
  (BROADSHEET_WORKER_LOST_AFTER=`--lost-after`, set for both processes). The same
  `--small-kills` times on `evening`. The sink's counts at the end: distinct recipients (must
  be all of them), raw deliveries, duplicates (a reader counted twice), distinct Message-IDs.
  Over SMTP a row is marked just before the end of its message's data (end_of_data.py), so
  every reader gets exactly one copy; `accepted_unmarked` is the sink's count at the kill
  minus the rows marked sent (-1: a message whose end was on its way as the sink was asked).

Everything listens on 127.0.0.1; every process is started in its own session and stopped
(SIGTERM, then SIGKILL) when the bench ends, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import BIN, RESULTS, machine, save  # noqa: E402
from tests.serving import free_port  # noqa: E402

HERE = Path(__file__).resolve().parent
POLL = 0.25

SETUP = """
import json, time
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.models import HomePage
from broadsheet.newsletters import editions
from broadsheet.newsletters.models import Newsletter, Subscriber, Subscription
from broadsheet.sections.models import SectionPage

home = HomePage.objects.get()
metro = home.add_child(instance=SectionPage(title="Metro", slug="metro"))
metro.save_revision().publish()
for n in range(8):
    story = metro.add_child(instance=ArticlePage(
        title=f"Council votes on the river crossing, part {{n}}", slug=f"story-{{n}}",
        dek="What the vote means for the ferry, the bridge and the people who use both.",
        summary="The council met late into the night. " * 6))
    story.save_revision().publish()

morning = Newsletter.objects.create(name="Morning briefing", slug="morning",
                                    sender_name="The Desk", sender_address="desk@bench.example")
evening = Newsletter.objects.create(name="Evening briefing", slug="evening",
                                    sender_name="The Desk", sender_address="desk@bench.example")

def readers(newsletter, start, stop):
    now = timezone.now()
    with transaction.atomic():
        made = Subscriber.objects.bulk_create(
            [Subscriber(email=f"reader{{i}}@bench.example", confirmed_at=now)
             for i in range(start, stop)], batch_size=5000)
        Subscription.objects.bulk_create(
            [Subscription(subscriber_id=s.pk, newsletter=newsletter) for s in made],
            batch_size=5000)
    return made

def build_queries():
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        edition = editions.build(morning)
    seconds = time.perf_counter() - start
    edition.delete()
    return len(ctx), round(seconds * 1000, 1)

readers(morning, 0, 100)
editions.build(morning).delete()  # the story lists' caches warm, as on a live site
few, few_ms = build_queries()
start = time.perf_counter()
made = readers(morning, 100, {n})
inserted = time.perf_counter() - start
many, many_ms = build_queries()
ids = list(Subscriber.objects.order_by("id").values_list("id", flat=True)[:{k}])
Subscription.objects.bulk_create([Subscription(subscriber_id=i, newsletter=evening) for i in ids],
                                 batch_size=5000)
print(json.dumps({{"build_queries_100": few, "build_queries_{n}": many,
                  "build_ms_100": few_ms, "build_ms_{n}": many_ms,
                  "insert_seconds": round(inserted, 1),
                  "subscribers": Subscriber.objects.count()}}))
"""

# Queries per batch, counted as tests/test_newsletters_sending.py does: a send to 1,000
# readers (2 batches of 500) and to 2,000 (4 batches); the difference, less one statement
# per extra message, is two batches' worth.
QUERIES = """
import json, sys
sys.path.insert(0, {root!r})
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import Newsletter, Subscriber, Subscription
from tests.smtp_sink import SmtpSink

q = Newsletter.objects.create(name="Queries", slug="queries")
ids = list(Subscriber.objects.order_by("id").values_list("id", flat=True)[:2000])

def send(k):
    Subscription.objects.filter(newsletter=q).delete()
    Subscription.objects.bulk_create([Subscription(subscriber_id=i, newsletter=q)
                                      for i in ids[:k]])
    edition = sending.schedule(editions.build(q))
    with CaptureQueriesContext(connection) as ctx:
        sending.run(edition.pk, batches=None)
    kinds = {{}}
    for query in ctx.captured_queries:
        sql = query["sql"]
        kind = sql.split()[0].upper()
        if kind == "UPDATE" and "newsletters_delivery" in sql and "sent_at" in sql:
            kind = "UPDATE delivery sent"
        kinds[kind] = kinds.get(kind, 0) + 1
    return len(ctx), kinds

with SmtpSink(keep=False) as sink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = False
    (one, one_kinds), (two, two_kinds) = send(1000), send(2000)
    assert sink.delivered == 3000, sink.delivered
print(json.dumps({{"send_queries_1000": one, "send_queries_2000": two,
                  "by_kind_1000": one_kinds, "by_kind_2000": two_kinds,
                  "per_batch": (two - one - 1000) / 2,
                  "per_message": two_kinds.get("UPDATE delivery sent", 0) / 2000}}))
"""

MARKED = """
import json
from broadsheet.newsletters.models import Delivery, Edition
edition = Edition.objects.filter(newsletter__slug={slug!r}).order_by("-pk").first()
sent = Delivery.objects.filter(edition=edition, status="sent").count()
print(json.dumps({{"edition": edition.pk, "status": edition.status, "marked_sent": sent,
                  "runner": edition.runner}}))
"""

EDITION = """
import json
from django.db.models import Count
from broadsheet.newsletters.models import Delivery, Edition
edition = Edition.objects.get(pk={pk})
by = dict(Delivery.objects.filter(edition=edition).values_list("status")
          .annotate(n=Count("id")).values_list("status", "n"))
print(json.dumps({{"edition": edition.pk, "status": edition.status,
                  "recipients": edition.recipients, "sent": edition.sent,
                  "deliveries_by_status": by}}))
"""

STARTED: list[subprocess.Popen] = []


def shell(env: dict, code: str, timeout: float = 900) -> dict:
    out = subprocess.run([str(BIN), "shell", "-c", code], env=env, check=True,
                         capture_output=True, text=True, timeout=timeout).stdout
    return json.loads(out.strip().splitlines()[-1])


def stop(proc: subprocess.Popen) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Sink:
    """bench/smtp_sink.py in its own process, asked for its counts over its control port."""

    def __init__(self, data: Path):
        self.port, self.control = free_port(), free_port()
        with open(data / "sink.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "smtp_sink.py"), "--port", str(self.port),
                 "--control", str(self.control)],
                stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        STARTED.append(self.proc)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP sink did not start: see sink.log")
        self.conn = socket.create_connection(("127.0.0.1", self.control), timeout=30)
        self.reader = self.conn.makefile("rb")

    def ask(self, what: str) -> dict:
        self.conn.sendall(what.encode() + b"\n")
        return json.loads(self.reader.readline())

    def messages(self) -> int:
        return self.ask("count")["messages"]

    def close(self) -> dict:
        figures = self.ask("summary")
        self.conn.close()
        stop(self.proc)
        return figures


def status_kb(pid: int) -> tuple[int, int] | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = re.search(r"VmRSS:\s+(\d+)", text)
    hwm = re.search(r"VmHWM:\s+(\d+)", text)
    return (int(rss[1]), int(hwm[1])) if rss and hwm else None


def watch(args: list[str], env: dict, sink: Sink, log: Path, *, total: int,
          kill_at: int | None = None, timeout: float = 2400) -> dict:
    """Run `broadsheet <args>`, polling the sink's count and the process's RSS; SIGKILL it
    (its whole session) once the sink has `kill_at` messages. Reaped with wait4 for its peak
    RSS."""
    started, before = time.monotonic(), sink.messages()
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(BIN), *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    STARTED.append(proc)
    samples, killed, first_message = [], None, None
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic() - started
        count = sink.messages()
        if count and first_message is None:
            first_message = now
        kb = status_kb(proc.pid)
        if kb:
            samples.append((round(now, 2), count, kb[0], kb[1]))
        if kill_at is not None and count >= kill_at:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = {"at_s": round(now, 2), "sink_messages_at_kill": count}
            pid, status, rusage = os.wait4(proc.pid, 0)
            break
        if now > timeout:
            stop(proc)
            raise SystemExit(f"{args} took over {timeout} s: see {log}")
        time.sleep(POLL)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started

    def rss_at(fraction):  # of what this process had left to send
        for _, count, rss, _ in samples:
            if count - before >= fraction * (total - before):
                return round(rss / 1024, 1)
        return None

    result = {"wall_s": round(wall, 1), "exit": proc.returncode,
              "first_message_at_s": first_message and round(first_message, 2),
              "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
              "rss_mb_at_10pct": rss_at(0.1), "rss_mb_at_50pct": rss_at(0.5),
              "rss_mb_at_90pct": rss_at(0.9),
              "samples": len(samples),
              # The machine is shared: what else ran shows here (2 cores: 2.0 is full).
              "load_average_1min_at_end": round(os.getloadavg()[0], 2)}
    if killed:
        result["killed"] = killed
    return result


def last_line(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def speed(data: Path, env: dict, n: int) -> dict:
    sink = Sink(data)
    env = {**env, "BROADSHEET_EMAIL_PORT": str(sink.port)}
    try:
        log = data / "send-speed.log"
        run = watch(["newsletter", "send", "morning"], env, sink, log, total=n)
        messages = sink.messages()
    finally:
        figures = sink.close()
    run["messages_per_s"] = round(messages / run["wall_s"], 1)
    if run["first_message_at_s"] is not None:
        run["messages_per_s_after_first"] = round(
            messages / (run["wall_s"] - run["first_message_at_s"]), 1)
    run["command_said"] = last_line(log)
    return {"recipients": n, **run, "sink": figures}


def kill_once(data: Path, env: dict, slug: str, n: int, fraction: float, lost_after: int,
              tag: str) -> dict:
    sink = Sink(data)
    env = {**env, "BROADSHEET_EMAIL_PORT": str(sink.port)}
    try:
        log = data / f"send-{tag}.log"
        first = watch(["newsletter", "send", slug], env, sink, log, total=n,
                      kill_at=int(n * fraction))
        killed_at = time.monotonic()
        time.sleep(0.3)  # whatever the sink had in hand when the sender died
        at_kill = sink.messages()
        marked = shell(env, MARKED.format(slug=slug))
        # resume takes only editions whose lease lapsed: wait out LOST_AFTER from the kill.
        time.sleep(max(0.0, lost_after + 0.5 - (time.monotonic() - killed_at)))
        waited = time.monotonic() - killed_at
        second = watch(["newsletter", "resume"], env, sink, data / f"resume-{tag}.log",
                       total=n)
        second["command_said"] = last_line(data / f"resume-{tag}.log")
        edition = shell(env, EDITION.format(pk=marked["edition"]))
    finally:
        figures = sink.close()
    first["killed"]["sink_messages_settled"] = at_kill
    return {"recipients": n, "slug": slug, "sender": first,
            "marked_sent_at_kill": marked["marked_sent"],
            "accepted_unmarked": at_kill - marked["marked_sent"],
            "resume_started_after_kill_s": round(waited, 1), "resume": second,
            "edition": edition, "sink": figures,
            "all_received": figures["recipients"] == n,
            "exactly_once": figures["recipients"] == n and figures["duplicates"] == 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--kill-recipients", type=int, default=10_000,
                        help="the smaller list the repeated kills send to")
    parser.add_argument("--small-kills", type=int, default=3)
    parser.add_argument("--kill-at", type=float, default=0.4)
    parser.add_argument("--lost-after", type=int, default=3)
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to leave out: queries,speed,kill,small-kills")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    n, k = args.recipients, min(args.kill_recipients, args.recipients)

    RESULTS.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="newsletters-", dir=RESULTS))
    env = {key: v for key, v in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
                          "PYTHONDONTWRITEBYTECODE")}
    env.update(BROADSHEET_DATA_DIR=str(data), BROADSHEET_LOG_LEVEL="WARNING",
               BROADSHEET_WORKER_LOST_AFTER=str(args.lost_after), BROADSHEET_EMAIL_TLS="0",
               BROADSHEET_EMAIL_HOST="127.0.0.1")
    result = {"command": "bench/newsletters.py " + " ".join(sys.argv[1:]),
              "machine": machine(), "recipients": n}
    try:
        t = time.monotonic()
        subprocess.run([str(BIN), "setup", "--no-demo"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        result["building"] = shell(env, SETUP.format(n=n, k=k))
        result["setup_s"] = round(time.monotonic() - t, 1)
        print("set up:", json.dumps(result["building"]), flush=True)
        if "queries" not in skip:
            result["sending_queries"] = shell(env, QUERIES.format(root=str(ROOT)))
            print("queries:", json.dumps(result["sending_queries"]), flush=True)

        if "speed" not in skip:
            result["speed"] = speed(data, env, n)
            print("speed:", json.dumps(result["speed"]), flush=True)
        kills = []
        if "small-kills" not in skip:
            for i in range(args.small_kills):
                kills.append(kill_once(data, env, "evening", k, args.kill_at,
                                       args.lost_after, f"kill-{k}-{i + 1}"))
                print("kill:", json.dumps(kills[-1]), flush=True)
        if "kill" not in skip:
            kills.append(kill_once(data, env, "morning", n, args.kill_at,
                                   args.lost_after, f"kill-{n}"))
            print("kill:", json.dumps(kills[-1]), flush=True)
        result["kills"] = kills
        save("newsletters", result)
    finally:
        for proc in STARTED:
            stop(proc)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
