"""Cached article page throughput under `broadsheet serve` against nginx serving the same bytes.

    .venv/bin/python bench/throughput.py [--duration 10] [--connections 64]

Starts `broadsheet serve` (2 workers) on the demo newsroom and nginx (installed with apt if
missing) on loopback ports, saves the article page exactly as the server sends it as a static
file for nginx, and runs the same `wrk` command against both, nginx first and last (the
reported nginx figure is the mean of the two, which evens out a noisy neighbour). Broadsheet is
measured three times in between: the page as it is, and its gzip and brotli copies
(`Accept-Encoding: gzip` / `br`, issue 16), each against the same nginx reference; with the
time it takes to make those copies when the page is stored. Then reports each server worker's
RSS after the load, and the page's weight (HTML + CSS + JS, gzip).
Everything listens on 127.0.0.1 and is stopped at the end.

With `--uncached` the page cache is off: every request is rendered by Django (from the
story's fragments, as for a signed-in reader), the throughput of a site no cache helps.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, prepared_data_dir, save  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tools() -> None:
    missing = [p for p in ("nginx", "wrk") if not shutil.which(p) and
               not Path(f"/usr/sbin/{p}").exists()]
    if missing:
        pkgs = ["nginx-light" if p == "nginx" else p for p in missing]
        subprocess.run(["apt-get", "install", "-y", "-qq", *pkgs], check=True,
                       stdout=subprocess.DEVNULL)


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def wrk(url: str, duration: int, connections: int, accept: str = "") -> float:
    headers = ["-H", f"Accept-Encoding: {accept}"] if accept else []
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", *headers, url],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def worker_pids(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def nginx_conf(root: Path, port: int, tmp: Path) -> Path:
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  types {{ text/html html; }}
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ try_files /article.html =404; }}
  }}
}}
""")
    return conf


def page_weight(base: str, html: bytes) -> dict:
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    sizes = {"html": len(gzip.compress(html))}
    for asset in assets:
        body = urllib.request.urlopen(base + asset.decode()).read()  # noqa: S310
        sizes[asset.decode().rsplit("/", 1)[-1]] = len(gzip.compress(body))
    # Absolute links to the site itself (canonical URL) are not third-party requests.
    third_party = [u for u in re.findall(rb'(?:src|href)="(https?://[^"/]+)', html)
                   if not re.match(rb"https?://(127\.0\.0\.1|localhost)(:\d+)?$", u)
                   and b'rel="canonical"' not in html.split(u)[0][-60:]]
    return {"gzip_bytes": sizes, "total_kb": round(sum(sizes.values()) / 1024, 1),
            "third_party_urls": [u.decode() for u in third_party],
            "srcset": b"srcset=" in html, "lazy_images": html.count(b'loading="lazy"')}


def copies_cost(html: bytes) -> dict:
    """What storing the page costs for its compressed copies, and what they weigh."""
    from broadsheet.pagecache import encodings

    samples = []
    for _ in range(50):
        started = time.perf_counter()
        copies = encodings.compress(html)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {"median_ms": round(samples[len(samples) // 2] * 1000, 2),
            "bytes": {"identity": len(html), **{c: len(b) for c, b in copies.items()}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--uncached", action="store_true", help="page cache off")
    args = parser.parse_args()
    ensure_tools()

    data, env = prepared_data_dir("throughput-newsroom")
    env["BROADSHEET_SCHEDULER"] = "false"
    if args.uncached:
        env["BROADSHEET_PAGE_CACHE"] = "false"
    port, nginx_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    nginx = None
    try:
        wait_for(base + "/")
        home = urllib.request.urlopen(base + "/").read()  # noqa: S310
        article_path = re.search(rb'<h3><a href="(/[^"]+/[^"]+/)">', home).group(1).decode()
        url = base + article_path
        urllib.request.urlopen(url).read()  # noqa: S310  (fills the cache)
        response = urllib.request.urlopen(url)  # noqa: S310
        if args.uncached:
            assert response.headers.get("X-Page-Cache") is None, "page cache is answering"
        else:
            assert response.headers.get("X-Page-Cache") == "hit", "page cache is not answering"
        html = response.read()
        (tmp / "article.html").write_bytes(html)
        # In a session of its own, as the server is (see bench/edge.py on autogroups).
        nginx = subprocess.Popen(["nginx", "-c", str(nginx_conf(tmp, nginx_port, tmp)),
                                  "-g", "daemon off;"], stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        nginx_url = f"http://127.0.0.1:{nginx_port}/article.html"
        wait_for(nginx_url)
        assert urllib.request.urlopen(nginx_url).read() == html  # noqa: S310

        wrk(url, 2, args.connections)  # warm both
        wrk(nginx_url, 2, args.connections)
        for accept in ("gzip", "br"):
            wrk(url, 2, args.connections, accept)  # each copy into the workers' memory
        nginx_before = wrk(nginx_url, args.duration, args.connections)
        broadsheet_rps = wrk(url, args.duration, args.connections)
        coded_rps = {accept: wrk(url, args.duration, args.connections, accept)
                     for accept in ([] if args.uncached else ["gzip", "br"])}
        nginx_after = wrk(nginx_url, args.duration, args.connections)
        nginx_rps = (nginx_before + nginx_after) / 2
        workers = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
        weight = page_weight(base, html)
    finally:
        if nginx:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(10)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)

    save("throughput-uncached" if args.uncached else "throughput", {
        "command": "bench/throughput.py" + (" --uncached" if args.uncached else ""),
        "wrk": f"wrk -t2 -c{args.connections} -d{args.duration}s <url>",
        "article": article_path,
        "broadsheet_rps": round(broadsheet_rps), "nginx_rps": round(nginx_rps),
        "nginx_runs": [round(nginx_before), round(nginx_after)],
        "ratio_to_nginx": round(broadsheet_rps / nginx_rps, 4 if args.uncached else 2),
        "by_accept_encoding": {
            accept: {"broadsheet_rps": round(rps), "ratio_to_nginx": round(rps / nginx_rps, 2)}
            for accept, rps in coded_rps.items()},
        "copies_made_when_stored": copies_cost(html),
        "worker_rss_mb_after_load": list(workers.values()),
        "page_weight": weight,
    })


if __name__ == "__main__":
    main()
