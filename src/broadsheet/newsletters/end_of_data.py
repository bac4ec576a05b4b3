"""Marking a message sent just before an SMTP server can take it: at the end of its data.

A mail server takes a message when it reads the line holding a single dot that ends it, and
not before: a client gone in the middle of the message leaves nothing to deliver (RFC 5321
4.1.1.4, 6.1). Marked after the server's answer, a runner killed between that answer and its
own commit sends the message again when the next runner goes on. Marked just before the
dot, a runner killed before the commit has delivered nothing and its row is still waiting
(the next runner sends it once); killed after the dot, the server has the message and the
row says so. Only a kill in the microseconds between the commit and writing the dot loses
the message: never a second copy. An answer refusing the message, read after, turns the row
back (sending._not_sent).

Mail services reached through their APIs (django-anymail) have no such moment: for them the
row is marked when the service has answered, as before.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_END = b"\r\n.\r\n"  # smtplib sends a message's data in one write, ending with this


@contextmanager
def marked_before_the_end(mail, mark: Callable[[], None]) -> Iterator[bool]:
    """Within it, `mark()` runs just before the end of a message's data is written on
    `mail`'s open SMTP connection. Gives False (and never calls `mark`) when `mail` has no
    open SMTP connection."""
    smtp = getattr(mail, "connection", None)
    if not isinstance(smtp, smtplib.SMTP):
        yield False
        return
    if smtp.sock is not None:
        # The end goes in a write of its own: with Nagle's rule it would wait for the
        # server's acknowledgement of the text, which the server delays (40 ms a message).
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    write = smtp.send

    def send(data):
        if isinstance(data, bytes) and data.endswith(_END):
            write(data[:-3])  # all but ".\r\n": the server keeps waiting for the rest
            mark()
            data = data[-3:]
        write(data)

    smtp.send = send
    try:
        yield True
    finally:
        del smtp.send
