"""Comments at scale: posting p95, thread render time, and approval-to-visible freshness.

    .venv/bin/python bench/comments.py [--posts 25] [--posters 16] [--requests 100]

On the demo newsroom with 10,000 comments on one story (3,000 of them replies, Respect
spread over them, three featured), in one run:

1. Render (in-process, full middleware stack, page cache off: the server time of a miss):
   the story page and the discussion page in each sort order, against the same story page
   with no comments as the reference; medians and query counts.
2. Posting: `broadsheet serve` (2 workers) on a loopback port, 16 posters with their own
   signed-in sessions each posting --posts comments as fast as they get answers; p50/p95 of
   the POST round trip. Rate limits stay on (set high enough not to refuse), so their
   counting is measured too, and so is the duplicate check. Reference: GET of the same story
   page by the same signed-in posters (a render that cannot come from the page cache).
   The load generator shares the machine's cores with the server, so the closed loop is
   driven three ways: urllib (a new connection and a cookie jar per request), a lean
   keep-alive client (http.client, one connection per poster) and `wrk` (C, with a Lua
   script), each reporting the CPU the server and the client spent per post.
3. Freshness: an anonymous reader polls the cached story page every 10 ms while a moderator
   approves a pending comment through the admin queue (HTTP POST); the time from the
   approval's response to the first anonymous response showing the comment. The author's
   own view right after posting is checked too.
Everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, measure, prepared_data_dir, save  # noqa: E402

TOTAL_COMMENTS = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def grow(story) -> None:
    """10,000 comments on `story`: threads, Respect and featured, as a busy discussion has."""
    import random

    from django.db.models import Max

    from broadsheet.comments.models import Comment
    from broadsheet.demo.scale import scale_up

    have = Comment.objects.filter(story=story).count()
    if have < TOTAL_COMMENTS:
        scale_up(stories=0, comments=TOTAL_COMMENTS - have, story=story)
    rng = random.Random(4)
    if not Comment.objects.filter(story=story, parent__isnull=False).exists():
        ids = list(Comment.objects.filter(story=story).order_by("created_at", "id")
                   .values_list("id", flat=True))
        tops = ids[:7000]
        replies = [Comment(pk=i, parent_id=rng.choice(tops[:max(1, n)]))
                   for n, i in enumerate(ids[7000:], start=7000)]
        for r in replies:
            r.reply_to_id = r.parent_id
        Comment.objects.bulk_update(replies, ["parent", "reply_to"], batch_size=500)
        reacted = [Comment(pk=i, respect_count=int(rng.paretovariate(1.5)) - 1) for i in ids]
        Comment.objects.bulk_update(reacted, ["respect_count"], batch_size=500)
        Comment.objects.filter(pk__in=rng.sample(tops, 3)).update(featured=True)
    assert Comment.objects.filter(story=story).aggregate(Max("id"))["id__max"]


def render(story, quiet, n: int) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    urls = {
        "story_no_comments (reference)": quiet.url,
        "story_10k_comments": story.url,
        "discussion_newest": f"/discussion/{story.pk}/",
        "discussion_oldest": f"/discussion/{story.pk}/?sort=oldest",
        "discussion_most_respected": f"/discussion/{story.pk}/?sort=reacted",
    }
    out = {name: dict(zip(("median_ms", "queries"), measure(client, url, n), strict=True))
           for name, url in urls.items()}
    ref = out["story_no_comments (reference)"]["median_ms"]
    for row in out.values():
        row["ratio_to_reference"] = round(row["median_ms"] / ref, 2)
    return out


def post_server_time(story, user, n: int) -> dict:
    """One poster, in-process through the full middleware stack: the server time of a post,
    and its queries (constant: it does not read the discussion)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/discussion/{story.pk}/post/"
    for i in range(3):
        assert client.post(url, {"body": f"Bench comment warm {i}"}).status_code == 302
    samples = []
    for i in range(n):
        start = time.perf_counter()
        client.post(url, {"body": f"Bench comment in-process {i}"})
        samples.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as ctx:
        client.post(url, {"body": "Bench comment counted"})
    return {"posts": n, "p50_ms": p(samples, 0.5), "p95_ms": p(samples, 0.95),
            "queries": len(ctx)}


class Session:
    """One signed-in browser: its cookies and CSRF token, talking HTTP to the server."""

    def __init__(self, base: str, sessionid: str | None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handler = urllib.request.HTTPCookieProcessor(self.jar)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(handler, NoRedirect)
        if sessionid:
            self.jar.set_cookie(http.cookiejar.Cookie(
                0, "sessionid", sessionid, None, False, "127.0.0.1", False, False, "/", True,
                False, None, False, None, None, {}))
        self.token = ""

    def get(self, path: str) -> tuple[int, str, dict]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                body = r.read().decode()
                status, headers = r.status, dict(r.headers)
        except urllib.error.HTTPError as exc:
            body, status, headers = exc.read().decode(), exc.code, dict(exc.headers)
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if m:
            self.token = m.group(1)
        return status, body, headers

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.token},
                                      doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body,
                                         headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code


def signed_in_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def p(samples: list[float], q: float) -> float:
    samples = sorted(samples)
    return round(samples[min(len(samples) - 1, int(q * len(samples)))] * 1000, 1)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children now (the server's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [str(pid)] + subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                       text=True).stdout.split()
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """Server and client CPU spent over a phase, per post: who the 2 cores went to."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def __enter__(self):
        self.server = tree_cpu_seconds(self.server_pid)
        self.client = time.process_time()
        children = os.times()
        self.children = children.children_user + children.children_system
        return self

    def __exit__(self, *exc):
        children = os.times()
        self.server = tree_cpu_seconds(self.server_pid) - self.server
        self.client = (time.process_time() - self.client
                       + children.children_user + children.children_system - self.children)

    def per_post(self, posts: int) -> dict:
        return {"server_cpu_ms_per_post": round(self.server * 1000 / max(1, posts), 2),
                "client_cpu_ms_per_post": round(self.client * 1000 / max(1, posts), 2)}


def posting(base: str, story, posters: list, posts: int, pace: float = 0.0,
            server_pid: int | None = None) -> dict:
    """16 posters at once: with pace 0 each posts again the moment it is answered (a closed
    loop: the server is never idle); with a pace each posts every `pace` seconds."""
    sessions = [Session(base, signed_in_cookie(u)) for u in posters]
    for s in sessions:
        assert s.get(story.url)[0] == 200 and s.token
    # Reference: the same readers fetching the page (signed in, so always a render).
    gets: list[float] = []
    lock = threading.Lock()

    def fetch(s):
        for _ in range(3):
            t = time.perf_counter()
            s.get(story.url)
            with lock:
                gets.append(time.perf_counter() - t)

    threads = [threading.Thread(target=fetch, args=(s,)) for s in sessions]
    [t.start() for t in threads]
    [t.join() for t in threads]

    latencies: list[float] = []
    statuses: list[int] = []

    def poster(n, s):
        time.sleep(pace * n / len(sessions))  # paced posters start spread over one period
        for i in range(posts):
            t = time.perf_counter()
            status = s.post(f"/discussion/{story.pk}/post/",
                            {"body": f"Bench comment {n}-{i}-{pace}: the bridge reopens."})
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                statuses.append(status)
            if pace:
                time.sleep(max(0.0, pace - took))

    started = time.perf_counter()
    threads = [threading.Thread(target=poster, args=(n, s)) for n, s in enumerate(sessions)]
    with CpuMeter(server_pid) as cpu:
        [t.start() for t in threads]
        [t.join() for t in threads]
    wall = time.perf_counter() - started
    # The author sees their comment at once (signed-in readers bypass the page cache).
    s = sessions[0]
    mine = f"Bench comment: the author sees this at once ({time.time()})"
    assert s.post(f"/discussion/{story.pk}/post/", {"body": mine}) == 302
    author_sees = mine in s.get(story.url)[1]
    return {"posters": len(sessions), "pace_seconds": pace, "posts": len(latencies),
            "non_redirect_statuses": sorted({x for x in statuses if x != 302}),
            "post_p50_ms": p(latencies, 0.5), "post_p95_ms": p(latencies, 0.95),
            "post_max_ms": p(latencies, 1.0), "posts_per_second": round(len(latencies) / wall),
            "reference_signed_in_get_p50_ms": p(gets, 0.5),
            "reference_signed_in_get_p95_ms": p(gets, 0.95),
            "ratio_post_p95_to_get_p95": round(p(latencies, 0.95) / p(gets, 0.95), 2),
            **cpu.per_post(len(latencies)),
            "author_sees_own_comment_at_once": author_sees}


class KeepAlive:
    """One signed-in poster on one persistent HTTP/1.1 connection, with nothing between the
    socket and the timing but http.client: what a browser costs the server, for less of the
    client machine than urllib's new connection and cookie jar per request."""

    def __init__(self, base: str, sessionid: str):
        import http.client

        self.conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
        self.cookies = {"sessionid": sessionid}
        self.token = ""

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Host": self.conn.host + f":{self.conn.port}"}
        if body is not None:
            headers |= {"Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"http://{headers['Host']}{path}"}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def get(self, path: str) -> int:
        status, data = self.request("GET", path)
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        if m:
            self.token = m.group(1).decode()
        return status

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.token}).encode()
        return self.request("POST", path, body)[0]


def posting_keepalive(base: str, story, posters: list, posts: int, server_pid: int) -> dict:
    """The closed loop again, each of the 16 posters on its own keep-alive connection."""
    clients = [KeepAlive(base, signed_in_cookie(u)) for u in posters]
    for c in clients:
        assert c.get(story.url) == 200 and c.token
    lock = threading.Lock()
    gets: list[float] = []
    latencies: list[float] = []
    statuses: list[int] = []

    def fetch(c):
        for _ in range(3):
            t = time.perf_counter()
            c.get(story.url)
            with lock:
                gets.append(time.perf_counter() - t)

    def poster(n, c):
        for i in range(posts):
            t = time.perf_counter()
            status = c.post(f"/discussion/{story.pk}/post/",
                            {"body": f"Bench comment keep-alive {n}-{i}: the bridge reopens."})
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                statuses.append(status)

    def at_once(target):
        threads = [threading.Thread(target=target, args=(n, c)) for n, c in enumerate(clients)]
        [t.start() for t in threads]
        [t.join() for t in threads]

    at_once(lambda n, c: fetch(c))
    started = time.perf_counter()
    with CpuMeter(server_pid) as cpu:
        at_once(poster)
    wall = time.perf_counter() - started
    for c in clients:
        c.conn.close()
    return {"posters": len(clients), "tool": "http.client keep-alive", "posts": len(latencies),
            "non_redirect_statuses": sorted({x for x in statuses if x != 302}),
            "post_p50_ms": p(latencies, 0.5), "post_p95_ms": p(latencies, 0.95),
            "post_max_ms": p(latencies, 1.0), "posts_per_second": round(len(latencies) / wall),
            "reference_signed_in_get_p50_ms": p(gets, 0.5),
            "reference_signed_in_get_p95_ms": p(gets, 0.95),
            "ratio_post_p95_to_get_p95": round(p(latencies, 0.95) / p(gets, 0.95), 2),
            **cpu.per_post(len(latencies))}


WRK_SCRIPT = """
local sessions = {%s}
local n = 0
local counter = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
end
function request()
  counter = counter + 1
  local s = sessions[id]
  local body = "csrfmiddlewaretoken=" .. s[2] .. "&body=Bench+comment+wrk+" .. id .. "-" ..
               counter .. "+the+bridge+reopens"
  return wrk.format("POST", "%s", {["Cookie"] = s[1],
    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.errors.status, latency:percentile(50), latency:percentile(95),
    latency.max, summary.duration))
end
"""


def posting_wrk(base: str, story, posters: list, seconds: int, server_pid: int
                ) -> dict | None:
    """The closed loop again with `wrk` as the 16 posters (one connection each), so the load
    generator takes far less of the 2 cores than Python threads do."""
    import shutil
    import tempfile

    if not shutil.which("wrk"):
        return None
    sessions = []
    for user in posters:
        s = Session(base, signed_in_cookie(user))
        s.get(story.url)
        cookies = "; ".join(f"{c.name}={c.value}" for c in s.jar)
        sessions.append(f'{{"{cookies}", "{s.token}"}}')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT % (", ".join(sessions), f"/discussion/{story.pk}/post/"))
    n = len(posters)
    with CpuMeter(server_pid) as cpu:
        out = subprocess.run(["wrk", f"-t{n}", f"-c{n}", f"-d{seconds}s", "-s", fh.name,
                              base + f"/discussion/{story.pk}/post/"],
                             capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    requests, bad, p50, p95, worst, duration = map(
        int, re.search(r"RESULT (.+)", out).group(1).split())
    return {"posters": n, "tool": "wrk", "seconds": seconds, "posts": requests,
            "non_2xx_3xx": bad, "post_p50_ms": round(p50 / 1000, 1),
            "post_p95_ms": round(p95 / 1000, 1), "post_max_ms": round(worst / 1000, 1),
            "posts_per_second": round(requests / (duration / 1e6)),
            **cpu.per_post(requests)}


def freshness(base: str, story, moderator, author, rounds: int) -> dict:
    from broadsheet.comments.models import Comment

    mod = Session(base, signed_in_cookie(moderator))
    anonymous = Session(base, None)
    delays, hits_before = [], 0
    for n in range(rounds):
        text = f"Held comment for freshness round {n}"
        held = Comment.objects.create(story=story, author=author, body=text, status="pending")
        for _ in range(2):  # make sure the anonymous page is a cache hit before approving
            status, body, headers = anonymous.get(story.url)
        hits_before += {k.lower(): v for k, v in headers.items()}.get("x-page-cache") == "hit"
        assert text not in body
        mod.get("/admin/comments/queue/?tab=pending")
        assert mod.post("/admin/comments/queue/?tab=pending",
                        {"action": "approve", "comment": [held.pk]}) == 302
        approved = time.perf_counter()
        while True:
            body = anonymous.get(story.url)[1]
            if text in body:
                delays.append(time.perf_counter() - approved)
                break
            if time.perf_counter() - approved > 10:
                delays.append(float("inf"))
                break
            time.sleep(0.01)
    return {"rounds": rounds, "anonymous_page_was_cached_before": hits_before,
            "approve_to_visible_median_ms": round(statistics.median(delays) * 1000, 1),
            "approve_to_visible_max_ms": round(max(delays) * 1000, 1),
            "target_ms": 2000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=25, help="comments per poster")
    parser.add_argument("--posters", type=int, default=16)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pace", type=float, default=0.5,
                        help="seconds between one paced poster's comments")
    args = parser.parse_args()

    data, env = prepared_data_dir("comments-bench")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "broadsheet.settings.embedded"
    os.environ["BROADSHEET_PAGE_CACHE"] = "false"  # the in-process renders must all render
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from wagtail.models import Site

    from broadsheet.articles.models import ArticlePage
    from broadsheet.comments.models import Comment, CommentRules

    open_stories = ArticlePage.objects.live().filter(comments="open").order_by(
        "-first_published_at")
    story = open_stories.first()
    quiet = open_stories.exclude(pk=story.pk).exclude(
        pk__in=Comment.objects.values("story_id")).first() or open_stories.last()
    grow(story)
    rules = CommentRules.for_site(Site.objects.get(is_default_site=True))
    rules.account_per_minute, rules.ip_per_minute = 10_000, 100_000  # on, but not refusing
    rules.duplicate_window_minutes, rules.premoderate_first, rules.close_after_days = 60, 0, 0
    rules.save()
    result = {"command": "bench/comments.py", "story_comments": Comment.objects.filter(
        story=story).count(), "render": render(story, quiet, args.requests)}

    User = get_user_model()
    posters = []
    for i in range(args.posters):
        user, _ = User.objects.get_or_create(username=f"poster{i}@bench.invalid",
                                             defaults={"email": f"poster{i}@bench.invalid"})
        posters.append(user)
    moderator, _ = User.objects.get_or_create(username="bench-moderator",
                                              defaults={"email": "mod@bench.invalid"})
    moderator.groups.add(Group.objects.get(name="Moderators"))

    result["post_server_time_in_process"] = post_server_time(story, posters[-1], 100)

    port = free_port()
    server_env = {**env, "BROADSHEET_BASE_URL": f"http://127.0.0.1:{port}",
                  "BROADSHEET_SCHEDULER": "false"}
    server_env.pop("BROADSHEET_PAGE_CACHE", None)
    log = open(data.parent / "comments-server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=server_env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)
        def back_to_10k():  # each phase starts from the same discussion
            Comment.objects.filter(story=story, body__startswith="Bench comment").delete()

        result["posting_closed_loop"] = posting(base, story, posters, args.posts,
                                                server_pid=proc.pid)
        back_to_10k()
        result["posting_closed_loop_keepalive"] = posting_keepalive(
            base, story, posters, args.posts * 4, proc.pid)
        back_to_10k()
        result["posting_paced"] = posting(base, story, posters, args.posts, pace=args.pace,
                                          server_pid=proc.pid)
        back_to_10k()
        result["posting_closed_loop_wrk"] = posting_wrk(base, story, posters, 10, proc.pid)
        back_to_10k()
        result["freshness"] = freshness(base, story, moderator, posters[0], args.rounds)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # Leave the story at 10,000 comments for the next run.
    Comment.objects.filter(story=story, body__startswith="Bench comment").delete()
    Comment.objects.filter(story=story, body__startswith="Held comment for freshness").delete()
    save("comments", result)


if __name__ == "__main__":
    main()
