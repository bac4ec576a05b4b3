"""Reply notifications: a reader who asked to hear about replies to a comment gets one
e-mail per approved reply, with a one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django_tasks import task

from broadsheet.address import absolute

from .models import Comment, display_name_of

log = logging.getLogger("broadsheet.comments")
_SALT = "broadsheet.comments.unsubscribe"


def unsubscribe_token(comment: Comment) -> str:
    return signing.dumps({"c": comment.pk, "u": comment.author_id}, salt=_SALT)


def comment_for_token(token: str) -> Comment | None:
    """The comment a signed unsubscribe link is for, or None when the link is not ours."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return Comment.objects.filter(pk=data.get("c"), author_id=data.get("u")).first()


def unsubscribe_url(comment: Comment) -> str:
    return absolute(reverse("comment_unsubscribe", args=[unsubscribe_token(comment)]))


def notify_reply(reply: Comment) -> None:
    """After commit, tell the author of the comment replied to (if they asked)."""
    target = reply.reply_to
    if target is None or not target.notify_replies or target.author_id is None:
        return
    if target.author_id == reply.author_id or target.deleted_at is not None:
        return
    transaction.on_commit(lambda: send_reply_notification.enqueue(reply.pk, target.pk))


@task()
def send_reply_notification(reply_id: int, target_id: int) -> None:
    """A task: in the request that approved the reply (one machine), or on a worker, which
    tries again later when the mail server does not answer."""
    reply = Comment.objects.select_related("author", "story").get(pk=reply_id)
    target = Comment.objects.select_related("author").get(pk=target_id)
    if not target.author.email:
        return
    link = absolute(f"{reply.story.url}#comment-{reply.pk}")
    unsubscribe = unsubscribe_url(target)
    body = (f"{display_name_of(reply.author)} replied to your comment on "
            f"\"{reply.story.title}\":\n\n{reply.body}\n\nRead the discussion: {link}\n\n"
            f"Stop e-mails about replies to this comment: {unsubscribe}\n")
    message = EmailMessage(
        subject=f"New reply to your comment on {reply.story.title}"[:200],
        body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[target.author.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    try:
        message.send()
    except OSError:  # a mail server being down must not fail the moderator's approval
        log.exception("reply notification for comment %s not sent", reply_id)
        raise  # the task fails: the database queue's worker tries again
