"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, per recipient: the
newsletter tests and bench/newsletters.py send to it through Django's SMTP backend.

It answers like a mail server would: 550 for an address in `refuse` (a hard bounce), 451 for
one in `defer` (try later), 250 for the rest. `keep=False` keeps counts only (the bench's
100,000 messages), not the messages themselves.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections import Counter

from aiosmtpd.controller import Controller

from tests.serving import free_port


class Sink:
    def __init__(self, *, keep: bool = True):
        self.keep = keep
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.per_recipient: Counter[str] = Counter()
        self.message_ids: Counter[str] = Counter()
        self.messages: list = []
        self.largest = 0
        self.lock = threading.Lock()

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        if address.lower() in self.defer:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        header_end = data.find(b"\r\n\r\n")
        head = email.message_from_bytes(data[:header_end + 4], policy=email.policy.default)
        with self.lock:
            self.largest = max(self.largest, len(data))
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt.lower()] += 1
            self.message_ids[head.get("Message-ID", "")] += 1
            if self.keep:
                self.messages.append(email.message_from_bytes(data, policy=email.policy.default))
        return "250 Message accepted for delivery"

    @property
    def delivered(self) -> int:
        return sum(self.per_recipient.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.per_recipient.values() if n > 1)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address.lower() in
                [a.addr_spec.lower() for a in m["To"].addresses]]


class SmtpSink:
    """Context manager: the sink listening on 127.0.0.1 at a free port."""

    def __init__(self, *, keep: bool = True, port: int | None = None):
        self.sink = Sink(keep=keep)
        self.port = port or free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port,
                                     data_size_limit=10 * 1024 * 1024)

    def __enter__(self) -> Sink:
        self.sink.port = self.port
        self.controller.start()
        return self.sink

    def __exit__(self, *exc):
        self.controller.stop()
