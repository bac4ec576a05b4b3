"""Bounces that come back as mail, for newsrooms sending through plain SMTP: the delivery
status notifications (RFC 3464) that mail servers return to the sender address, read from a
mailbox. A permanent failure (Action: failed, Status 5.x.x) is a hard bounce and is recorded
as a mail service's webhook report would be (bounces.record); a delay or a 4.x.x failure
changes nothing. The message is found by the Message-ID it carries back (our own), so the
address suppressed is the one we sent to, even when the report names where it was
forwarded."""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason

from . import bounces


@dataclass
class Failure:
    recipient: str  # the address the report names
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str
    message_id: str  # of the message that was returned, if the report carries it

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


def _address(field: str) -> str:
    """`rfc822; ada@example.org` -> ada@example.org (other address types: as given)."""
    kind, _, address = field.partition(";")
    return (address if address else kind).strip().strip("<>")


def _returned_message_id(report: EmailMessage) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) else payload
            return str(original.get("Message-ID", "")).strip()
        if kind in ("text/rfc822-headers", "message/global-headers"):
            headers = email.message_from_string(part.get_content(), policy=email.policy.default)
            return str(headers.get("Message-ID", "")).strip()
    return ""


def failures(report: EmailMessage) -> list[Failure]:
    """The per-recipient fields of a delivery status notification; [] for other mail (an
    auto-reply, a bounce in free text, a spam complaint)."""
    if report.get_content_type() != "multipart/report" or \
            report.get_param("report-type", "").lower() != "delivery-status":
        return []
    found = []
    message_id = _returned_message_id(report)
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for fields in blocks[1:] if isinstance(blocks, list) else []:  # [0]: per message
            recipient = fields.get("Original-Recipient") or fields.get("Final-Recipient")
            if not recipient:
                continue
            found.append(Failure(
                recipient=_address(str(recipient)),
                action=str(fields.get("Action", "")).strip().lower(),
                status=str(fields.get("Status", "")).strip(),
                diagnostic=str(fields.get("Diagnostic-Code", "")).strip(),
                message_id=message_id))
    return found


def record(report: EmailMessage) -> list[str]:
    """Act on one returned mail; the verdict of each recipient it reports on."""
    verdicts = []
    for failure in failures(report):
        if failure.action not in ("failed", "delayed"):
            continue
        event = AnymailTrackingEvent(
            event_type=EventType.BOUNCED if failure.permanent else EventType.DEFERRED,
            reject_reason=RejectReason.BOUNCED if failure.permanent else None,
            message_id=failure.message_id, metadata={},
            description=f"{failure.status} {failure.diagnostic}".strip(),
            mta_response=failure.diagnostic)
        # Our message, found by its Message-ID, names the address we sent to.
        delivery = bounces.find_delivery(event)
        event.recipient = delivery.email if delivery else failure.recipient
        verdicts.append(bounces.record(event, service="bounce mailbox") or "ignored")
    return verdicts


def read_mailbox(path: Path) -> Iterator[EmailMessage]:
    """Each message of an mbox file or a Maildir directory."""
    box = mailbox.Maildir(path, factory=None, create=False) if path.is_dir() \
        else mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    finally:
        box.close()


def record_mailbox(path: Path) -> Counter:
    """Every returned mail in the mailbox; how many of each verdict (bounce, soft, ...)
    and how many messages were not delivery reports ("other"). Reading it again changes
    nothing."""
    counts: Counter = Counter()
    for message in read_mailbox(path):
        verdicts = record(message)
        counts.update(verdicts or ["other"])
    return counts
