"""The edge, measured: Varnish (the VCL `broadsheet edge vcl` prints) in front of
`broadsheet serve`, against nginx serving the same bytes as a static file.

    .venv/bin/python bench/edge.py [--duration 10] [--rounds 3] [--connections 64]
                                   [--samples 30] [--storm 120] [--rate 2000]

On the demo newsroom, everything on 127.0.0.1 and stopped at the end:
1. Throughput of the cached article: nginx, Varnish, `broadsheet serve` alone, the same wrk
   command in alternating rounds; medians and ratios to nginx, and every round's ratio.
   Beside them, in the same rounds, each server with nothing of ours in it (REFERENCES):
   Varnish with the built-in VCL in front of the nginx file, and granian started as serve
   starts it with an application that only sends the article (bench/granian_reference.py),
   so that what is ours and what is the server on this machine can be told apart.
2. Purge delay: while wrk sends --rate requests/s of readers (home, sections, stories)
   through Varnish, an editor publishes a new headline, and the time from its commit to
   the first response through Varnish that shows it is taken, --samples times.
3. A publishing storm: one story edit and two comment approvals a second for --storm
   seconds under the same readers: the edge's hit ratio (varnishstat), and how many
   responses a checker got that were older than 1 s after the purge that replaced them.
4. Origin protection: the article purged, then 500 concurrent requests for it through
   Varnish: how many reached the origin (varnishstat's backend requests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, prepared_data_dir, save  # noqa: E402
from throughput import ensure_tools, free_port, nginx_conf, wait_for, wrk  # noqa: E402

VARNISHD = "/usr/sbin/varnishd"
HERE = Path(__file__).resolve().parent


def start_varnish(vcl: Path, port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [VARNISHD, "-F", "-j", "none", "-a", f"127.0.0.1:{port}", "-f", str(vcl),
         "-n", str(workdir), "-s", "malloc,256m",
         *os.environ.get("BENCH_VARNISHD_ARGS", "").split()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("varnishd did not start")


def varnishstat(workdir: Path) -> dict[str, int]:
    out = subprocess.run(["varnishstat", "-n", str(workdir), "-1", "-j"],
                         capture_output=True, text=True, check=True).stdout
    counters = json.loads(out)
    counters = counters.get("counters", counters)
    return {name.removeprefix("MAIN."): c["value"] for name, c in counters.items()
            if name.startswith("MAIN.") and isinstance(c, dict) and "value" in c}


def readers_script(tmp: Path, paths: list[str], connections: int, rate: int,
                   pause_ms: float | None = None) -> Path:
    """A wrk script: the readers' pages in turn, each connection pausing so that all of
    them together send about `rate` requests a second."""
    if pause_ms is None:
        pause_ms = connections * 1000 / rate
    script = tmp / "readers.lua"
    listed = ", ".join(json.dumps(p) for p in paths)
    script.write_text(f"""
local paths = {{{listed}}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
delay = function() return {pause_ms:.3f} end
""")
    return script


def calibrated_readers(edge: str, tmp: Path, paths: list[str], connections: int,
                       rate: int) -> Path:
    """wrk has no rate of its own: a connection waits `delay` after each answer, so the
    rate also depends on how long answers take here. Measured, and the wait corrected, up
    to three times."""
    for path in paths * 2:  # in the edge's cache first, as they are in a steady state
        urllib.request.urlopen(edge + path).read()  # noqa: S310
    target = connections * 1000 / rate  # ms between a connection's requests
    pause = target
    for _ in range(3):
        script = readers_script(tmp, paths, connections, rate, pause)
        achieved = readers_rate(start_readers(edge, script, 3, connections))
        overhead = connections * 1000 / achieved - pause  # answer time, timer slack
        print(f"readers: {achieved:.0f} req/s with a {pause:.1f} ms wait", flush=True)
        if abs(achieved - rate) < rate * 0.05:
            break
        pause = max(1.0, target - overhead)
    return script


def start_readers(url: str, script: Path, seconds: int, connections: int) -> subprocess.Popen:
    return subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s",
                             str(script), url], stdout=subprocess.PIPE, text=True)


def readers_rate(proc: subprocess.Popen) -> float:
    out = proc.communicate()[0]
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def driver(env: dict, **settings) -> subprocess.Popen:
    code = f"import runpy; runpy.run_path({str(HERE / 'edge_driver.py')!r})"
    return subprocess.Popen([str(BIN), "shell", "-c", code], stdout=subprocess.PIPE,
                            text=True, env={**env, **{k: str(v) for k, v in settings.items()}})


def events(proc: subprocess.Popen):
    for line in proc.stdout:
        if line.startswith("{"):
            yield json.loads(line)
    if proc.wait() != 0:
        raise SystemExit("the newsroom driver failed")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def throughput(urls: dict[str, str], rounds: int, duration: int, connections: int) -> dict:
    for url in urls.values():
        wrk(url, 2, connections)  # warm
    runs: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            runs[name].append(wrk(url, duration, connections))
    medians = {name: statistics.median(r) for name, r in runs.items()}

    def each_round(name: str, reference: str) -> list[float]:
        return [round(r / n, 3) for r, n in zip(runs[name], runs[reference], strict=True)]

    return {
        "rps_median": {name: round(v) for name, v in medians.items()},
        "ratio_to_nginx": {name: round(medians[name] / medians["nginx"], 3)
                           for name in urls if name != "nginx"},
        "ratio_to_nginx_each_round": {name: each_round(name, "nginx")
                                      for name in urls if name != "nginx"},
        # Ours against the same server with nothing of ours in it, round by round.
        "ratio_to_reference_each_round": {name: each_round(name, reference)
                                          for name, reference in REFERENCES.items()
                                          if name in urls and reference in urls},
        "rps_each_round": {name: [round(v) for v in r] for name, r in runs.items()},
    }


# What each of ours is compared with besides nginx: the same server software serving the
# same bytes with nothing of Broadsheet's in it, measured in the same rounds. Varnish with
# the built-in VCL (and an hour's TTL) in front of the nginx file; granian, as `broadsheet
# serve` starts it, with an application that sends the article and does nothing else.
REFERENCES = {"varnish": "varnish_reference", "serve": "granian_reference"}

REFERENCE_VCL = """vcl 4.1;
backend nginx { .host = "127.0.0.1"; .port = "%d"; }
sub vcl_backend_response { set beresp.ttl = 1h; }
"""


def start_granian_reference(port: int, response: Path, env: dict) -> subprocess.Popen:
    """granian with the options `broadsheet serve` gives it (console/.../serve.py)."""
    granian = BIN.parent / "granian"
    return subprocess.Popen(
        [str(granian), "--interface", "rsgi", "--http", "1", "--no-ws", "--workers", "2",
         "--backlog", "2048", "--backpressure", "1000", "--host", "127.0.0.1",
         "--port", str(port), "--working-dir", str(HERE), "granian_reference:application"],
        env={**env, "REFERENCE_RESPONSE": str(response)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)


def as_sent(response) -> bytes:
    """A response's header lines and body, less what granian adds to every response (and
    the Connection: close it answered urllib's own with)."""
    lines = [f"{k}: {v}" for k, v in response.headers.items()
             if k.lower() not in ("server", "date", "connection")]
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + response.read()


def purge_delays(env: dict, edge: str, stories: list[str], script: Path, samples: int,
                 connections: int) -> dict:
    readers = start_readers(edge, script, 10_000, connections)
    time.sleep(2)
    try:
        measured = list(events(driver(
            env, EDGE_DRIVER="delays", EDGE_STORIES=",".join(stories), EDGE_BASE=edge,
            EDGE_SAMPLES=samples)))
    finally:
        readers.send_signal(signal.SIGINT)
    rate = readers_rate(readers)
    found = [e["delay"] for e in measured]
    purged = [e["purged"] for e in measured]
    return {"samples": len(found), "readers_rps": round(rate),
            "p50_ms": round(percentile(found, 50) * 1000, 1),
            "p95_ms": round(percentile(found, 95) * 1000, 1),
            "max_ms": round(max(found) * 1000, 1),
            # Of which: from the commit until the purges were sent and confirmed.
            "purges_sent_p50_ms": round(percentile(purged, 50) * 1000, 1),
            "purges_sent_p95_ms": round(percentile(purged, 95) * 1000, 1)}


class Checker(threading.Thread):
    """Reads the stories through the edge all through the storm, noting what it was given
    and when it asked."""

    def __init__(self, edge: str, stories: list[str]):
        super().__init__(daemon=True)
        self.edge, self.stories = edge, stories
        self.seen: list[tuple[float, str, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for path in self.stories:
                asked = time.time()
                with urllib.request.urlopen(self.edge + path, timeout=5) as r:  # noqa: S310
                    body = r.read().decode("utf-8", "replace")
                shown = re.search(r"<h1[^>]*>[^<]*?#(\d+)", body)
                self.seen.append((asked, path, int(shown.group(1)) if shown else -1))
            time.sleep(0.01)


def storm(env: dict, edge: str, workdir: Path, stories: list[str], script: Path,
          seconds: int, connections: int) -> dict:
    proc = driver(env, EDGE_DRIVER="storm", EDGE_STORIES=",".join(stories),
                  EDGE_SECONDS=seconds)
    stream = events(proc)
    next(e for e in stream if "ready" in e)
    checker = Checker(edge, stories)
    before = varnishstat(workdir)
    readers = start_readers(edge, script, seconds, connections)
    checker.start()
    edits = []
    for event in stream:
        if "story" in event:
            edits.append(event)
    checker.stop.set()
    checker.join(10)
    rate = readers_rate(readers)
    after = varnishstat(workdir)
    hits = after["cache_hit"] - before["cache_hit"]
    misses = after["cache_miss"] - before["cache_miss"]
    # Stale: asked more than a second after an edit of that story committed, yet given an
    # older headline; how late, for each.
    late = []
    for asked, path, version in checker.seen:
        due = [e for e in edits if e["story"] == path and e["committed"] <= asked - 1.0
               and e["version"] > version]
        if due:
            late.append(round(asked - min(e["committed"] for e in due), 2))
    stale = len(late)
    return {"seconds": seconds, "edits": len(edits), "approvals": 2 * len(edits),
            "readers_rps": round(rate), "edge_hits": hits, "edge_misses": misses,
            "hit_ratio": round(hits / max(1, hits + misses), 4),
            "passes": after.get("s_pass", 0) - before.get("s_pass", 0),
            "checked_responses": len(checker.seen), "stale_after_1s": stale,
            "stale_seconds_after_commit": sorted(late)[-20:]}


def coalescing(env: dict, edge: str, workdir: Path, story: str, clients: int = 500) -> dict:
    urllib.request.urlopen(edge + story).read()  # noqa: S310
    # Purged at the edge and at the origin alike, as a correction would.
    subprocess.run([str(BIN), "shell", "-c",
                    "from broadsheet.articles.models import ArticlePage\n"
                    "from broadsheet.pagecache.purge import purge, stories\n"
                    f"purge(stories([ArticlePage.objects.get(url_path__endswith={story!r}).pk]))"],
                   env=env, check=True, capture_output=True)
    before = varnishstat(workdir)
    barrier = threading.Barrier(clients)
    statuses: list[int] = []

    def one():
        barrier.wait()
        with urllib.request.urlopen(edge + story, timeout=30) as r:  # noqa: S310
            r.read()
            statuses.append(r.status)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = varnishstat(workdir)
    return {"clients": clients, "answered_200": statuses.count(200),
            "reached_origin": after["backend_req"] - before["backend_req"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--storm", type=int, default=120)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--readers", type=int, default=128,
                        help="wrk connections of the readers sending --rate requests/s")
    parser.add_argument("--parts", default="throughput,delay,storm,coalescing")
    parser.add_argument("--vcl", help="a VCL of your own (its backend: {backend})")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    ensure_tools()
    if not os.path.exists(VARNISHD):
        raise SystemExit("varnishd not found: `make browser-deps` installs it (as root)")

    # A fresh newsroom each run: the storm edits stories and approves comments.
    shutil.rmtree(Path(__file__).resolve().parent / "results" / "edge-newsroom",
                  ignore_errors=True)
    data, env = prepared_data_dir("edge-newsroom")
    port, edge_port, nginx_port = free_port(), free_port(), free_port()
    base, edge = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{edge_port}"
    env.update(BROADSHEET_EDGE=f"varnish://127.0.0.1:{edge_port}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    vcl = tmp / "broadsheet.vcl"
    if args.vcl:
        vcl.write_text(Path(args.vcl).read_text().replace("{backend}", str(port)))
    else:
        vcl.write_text(subprocess.run(
            [str(BIN), "edge", "vcl", "--backend", f"127.0.0.1:{port}"],
            env=env, check=True, capture_output=True, text=True).stdout)
    workdir = tmp / "varnish"
    varnish = nginx = server = varnish_reference = granian_reference = None
    try:
        varnish = start_varnish(vcl, edge_port, workdir)
        server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", "2"],
                                  env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(base + "/")
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(edge + "/robots.txt").read()  # noqa: S310
                break
            except OSError:  # 503 until its health probe has seen the backend up
                if time.monotonic() > deadline:
                    raise SystemExit("Varnish never found the backend healthy") from None
                time.sleep(0.2)
        home = urllib.request.urlopen(base + "/").read().decode()  # noqa: S310
        stories = list(dict.fromkeys(re.findall(r'<h3><a href="(/[^"]+/[^"]+/)">', home)))[:6]
        sections = sorted({"/" + s.strip("/").split("/")[0] + "/" for s in stories})
        article = stories[0]
        for url in (base + article, edge + article):
            for _ in range(2):
                urllib.request.urlopen(url).read()  # noqa: S310
        response = urllib.request.urlopen(edge + article)  # noqa: S310
        assert response.headers["X-Edge"] == "hit", "Varnish is not caching the article"
        html = response.read()
        (tmp / "article.html").write_bytes(html)
        assert urllib.request.urlopen(base + article).read() == html  # noqa: S310
        # Every server in a session of its own, as a service manager starts them: Linux's
        # autogroup scheduling shares the cores between sessions first, so a server in wrk's
        # session would be measured with more of them (granian: 0.62-0.72 of nginx in wrk's
        # session, 0.42-0.51 in its own; nginx the same either way).
        nginx = subprocess.Popen(["nginx", "-c", str(nginx_conf(tmp, nginx_port, tmp)),
                                  "-g", "daemon off;"], stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        nginx_url = f"http://127.0.0.1:{nginx_port}/article.html"
        wait_for(nginx_url)
        assert urllib.request.urlopen(nginx_url).read() == html  # noqa: S310
        reference_port, granian_port = free_port(), free_port()
        (tmp / "reference.vcl").write_text(REFERENCE_VCL % nginx_port)
        varnish_reference = start_varnish(tmp / "reference.vcl", reference_port,
                                          tmp / "varnish-reference")
        hit = urllib.request.urlopen(base + article)  # noqa: S310
        assert hit.headers["X-Page-Cache"] == "hit"
        (tmp / "response").write_bytes(as_sent(hit))
        granian_reference = start_granian_reference(granian_port, tmp / "response", env)
        references = {"varnish_reference": f"http://127.0.0.1:{reference_port}/article.html",
                      "granian_reference": f"http://127.0.0.1:{granian_port}/"}
        for url in references.values():
            wait_for(url)
            assert urllib.request.urlopen(url).read() == html  # noqa: S310

        result = {"command": "bench/edge.py " + " ".join(sys.argv[1:]),
                  "wrk": f"wrk -t2 -c{args.connections} -d{args.duration}s <url>",
                  "article": article, "bytes": len(html)}
        readers = calibrated_readers(edge, tmp, ["/", *sections, *stories], args.readers,
                                     args.rate)
        if "throughput" in parts:
            result["throughput"] = throughput(
                {"nginx": nginx_url, "varnish_reference": references["varnish_reference"],
                 "varnish": edge + article,
                 "granian_reference": references["granian_reference"],
                 "serve": base + article},
                args.rounds, args.duration, args.connections)
            print(json.dumps(result["throughput"], indent=2), flush=True)
        if "delay" in parts:
            result["purge_delay"] = purge_delays(env, edge, stories, readers, args.samples,
                                                 args.readers)
            print(json.dumps(result["purge_delay"], indent=2), flush=True)
        if "storm" in parts:
            result["storm"] = storm(env, edge, workdir, stories, readers, args.storm,
                                    args.readers)
            print(json.dumps(result["storm"], indent=2), flush=True)
        if "coalescing" in parts:
            result["coalescing"] = coalescing(env, edge, workdir, article)
    finally:
        for proc in (nginx, varnish, server, varnish_reference, granian_reference):
            if proc is None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
    save("edge" if parts >= {"throughput", "delay", "storm", "coalescing"} else
         "edge-" + "-".join(sorted(parts)), result)


if __name__ == "__main__":
    main()
