"""The SMTP sink of tests/smtp_sink.py in a process of its own, for bench/newsletters.py.

    .venv/bin/python bench/smtp_sink.py --port 2525 --control 2526 [--summary FILE]

Listens on 127.0.0.1:`--port` (aiosmtpd, counts only: keep=False) and answers on
127.0.0.1:`--control`, one line in, one JSON line out: `count` (messages accepted so far,
cheap enough to poll) or `summary` (per-recipient and per-Message-ID figures). On SIGTERM it
writes the summary to `--summary` (if given) and exits.
"""

from __future__ import annotations

import argparse
import json
import signal
import socketserver
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.smtp_sink import SmtpSink  # noqa: E402


def summary(sink) -> dict:
    with sink.lock:
        per_recipient = dict(sink.per_recipient)
        ids = dict(sink.message_ids)
    twice = {r: n for r, n in per_recipient.items() if n > 1}
    ids_twice = {m: n for m, n in ids.items() if n > 1}
    return {"deliveries": sum(per_recipient.values()), "recipients": len(per_recipient),
            "duplicates": sum(n - 1 for n in twice.values()),
            "recipients_twice": sorted(twice)[:20],
            "message_ids": len(ids), "messages": sum(ids.values()),
            "message_ids_twice": sorted(ids_twice)[:20],
            "largest_bytes": sink.largest}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=int, required=True)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args()

    with SmtpSink(keep=False, port=args.port) as sink:

        class Control(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    what = line.strip().decode()
                    if what == "count":
                        answer = {"messages": sum(sink.message_ids.values())}
                    else:
                        answer = summary(sink)
                    self.wfile.write(json.dumps(answer).encode() + b"\n")
                    self.wfile.flush()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", args.control), Control)
        server.daemon_threads = True
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print("ready", flush=True)
        while not stop.wait(0.5):
            pass
        server.shutdown()
        if args.summary:
            args.summary.write_text(json.dumps(summary(sink)))


if __name__ == "__main__":
    main()
