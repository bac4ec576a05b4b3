"""The signed links in newsletter e-mails. Each kind has its own salt, so a link of one kind
never works as another.

- confirmation: expires after 48 hours and names a stored nonce, so it works once;
- preferences and unsubscribe: in every e-mail, so they do not expire; they name the address
  as well as the row, so a link stops working if the subscriber is deleted and the row id is
  ever given to someone else.
"""

from __future__ import annotations

from django.core import signing

from .models import Newsletter, Subscriber

CONFIRM_MAX_AGE = 48 * 3600
_CONFIRM_SALT = "broadsheet.newsletters.confirm"
_PREFERENCES_SALT = "broadsheet.newsletters.preferences"
_UNSUBSCRIBE_SALT = "broadsheet.newsletters.unsubscribe"
_LINK_SALT = "broadsheet.newsletters.link"
_OPENED_SALT = "broadsheet.newsletters.opened"


class Expired(Exception):
    pass


def confirmation(nonce: str) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign_object({"n": nonce})


def nonce_of(token: str) -> str | None:
    """The nonce a confirmation link names; None when the link is not ours. Raises Expired
    for a genuine link older than CONFIRM_MAX_AGE."""
    try:
        data = signing.TimestampSigner(salt=_CONFIRM_SALT).unsign_object(
            token, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as e:
        raise Expired from e
    except signing.BadSignature:
        return None
    return data.get("n") if isinstance(data, dict) else None


def preferences(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email.lower()},
                         salt=_PREFERENCES_SALT)


def unsubscribe(subscriber: Subscriber, newsletter: Newsletter) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email.lower(),
                          "n": newsletter.pk}, salt=_UNSUBSCRIBE_SALT)


def _load(token: str, salt: str, kind: type = dict):
    """What a link of this salt carries, if it is ours and of the expected kind; else None."""
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    return data if isinstance(data, kind) else None


def subscriber_of(token: str) -> Subscriber | None:
    """The subscriber a preferences link is for, or None."""
    data = _load(token, _PREFERENCES_SALT)
    if data is None:
        return None
    return Subscriber.objects.filter(pk=data.get("s"), email__iexact=data.get("e", "")).first()


def unsubscribe_target(token: str) -> tuple[Subscriber, Newsletter] | None:
    """(subscriber, newsletter) an unsubscribe link is for, or None."""
    data = _load(token, _UNSUBSCRIBE_SALT)
    if data is None:
        return None
    subscriber = Subscriber.objects.filter(pk=data.get("s"),
                                           email__iexact=data.get("e", "")).first()
    newsletter = Newsletter.objects.filter(pk=data.get("n")).first()
    if subscriber is None or newsletter is None:
        return None
    return subscriber, newsletter


# Counting (off unless the site turns it on): these name a link or an edition, never a reader,
# and are the same in every reader's message.
def link(link_id: int) -> str:
    return signing.dumps(link_id, salt=_LINK_SALT)


def opened(edition_id: int) -> str:
    return signing.dumps(edition_id, salt=_OPENED_SALT)


def link_of(token: str) -> int | None:
    return _load(token, _LINK_SALT, int)


def edition_opened(token: str) -> int | None:
    return _load(token, _OPENED_SALT, int)
