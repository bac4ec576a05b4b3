"""Comments moved in from elsewhere (a WordPress import), written in bulk.

The importer hands them over as plain values (ingest/comment_writer.py) through the top
layer, which registers these two functions at start-up; this module imports nothing of
ingest, nor ingest anything of it. Rows are written with bulk queries: no signal is sent,
no reader is notified and no rule is applied to what another site already published. The
importer purges the cached pages once its whole file is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import Comment


def add_imported(comments: Sequence) -> list[int]:
    """Write comments given as `NewComment` values (story_id, body, status, guest_name,
    created_at); their ids, in the same order."""
    rows = [Comment(story_id=c.story_id, body=c.body, status=Comment.Status(c.status),
                    guest_name=c.guest_name) for c in comments]
    Comment.objects.bulk_create(rows)  # SQLite and PostgreSQL return the new ids
    # created_at is stamped "now" on insert (auto_now_add): the comment's own time goes after.
    for row, comment in zip(rows, comments, strict=True):
        row.created_at = comment.created_at
    Comment.objects.bulk_update(rows, ["created_at"])
    return [row.pk for row in rows]


def thread_imported(replies: Sequence) -> int:
    """File replies given as `Reply` values (comment_id, answers_id, thread_id): threads are
    two levels deep here (models.Comment), so a reply goes under the top of its thread and
    remembers the comment it answers, however deep the other site nested it."""
    Comment.objects.bulk_update([Comment(pk=r.comment_id, parent_id=r.thread_id,
                                         reply_to_id=r.answers_id) for r in replies],
                                ["parent", "reply_to"])
    return len(replies)
