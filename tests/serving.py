"""`broadsheet serve` for end-to-end tests: a fresh embedded site on a loopback port.

One place for what every such test needs: a data directory of its own, `broadsheet setup`,
a server started in its own process group (so granian's workers stop with it), and a wait
until it answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "broadsheet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None):
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as r:  # noqa: S310
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def publish_story_script(title: str, slug: str, section: str = "Metro") -> str:
    """`broadsheet shell` code that publishes a story under a new section and prints its id
    (a test site set up with --no-demo has no stories)."""
    return f"""
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
home = HomePage.objects.get()
section = home.add_child(instance=SectionPage(title={section!r}, slug={section.lower()!r}))
section.save_revision().publish()
story = section.add_child(instance=ArticlePage(title={title!r}, slug={slug!r}))
story.save_revision().publish()
print(story.pk)
"""


def views_of_script(slug: str) -> str:
    """`broadsheet shell` code that prints how many views of the story are stored."""
    return ("from broadsheet.readership.models import PageView\n"
            f"print('views', PageView.objects.filter(page__slug={slug!r}).count())")


def shell(env, code) -> str:
    return subprocess.run([BIN, "shell", "-c", code], env=env, check=True,
                          capture_output=True, text=True, timeout=60).stdout


def site_env(data: Path, **extra: str) -> dict:
    """The environment of an embedded site in `data`, whatever profile the suite itself runs
    on (not set up yet)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(BROADSHEET_DATA_DIR=str(data), **extra)
    return env


def prepared_site(data: Path, port: int, *, demo: bool = False, **extra: str) -> dict:
    """The environment of an embedded site in `data` (set up, with the demo newsroom only if
    asked) served on `port`, whatever profile the suite itself runs on."""
    env = site_env(data, BROADSHEET_BASE_URL=f"http://127.0.0.1:{port}", **extra)
    subprocess.run([BIN, "setup", *([] if demo else ["--no-demo"])], env=env, check=True,
                   capture_output=True, timeout=600 if demo else 180)
    return env


def start_server(env: dict, port: int, *, probe: str = "/robots.txt",
                 headers: dict | None = None, args: tuple[str, ...] = (),
                 timeout: float = 30) -> subprocess.Popen:
    """`broadsheet serve` on `port` (with `args`), once it answers `probe` (sent with
    `headers`); its output goes to serve.log in the data directory and is shown if it does
    not start within `timeout` seconds."""
    log = Path(env["BROADSHEET_DATA_DIR"]) / "serve.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([BIN, "serve", "--port", str(port), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            get(f"http://127.0.0.1:{port}{probe}", headers)
            return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("server did not start: " + log.read_text(errors="replace")[-2000:])


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
