"""What moderators do: approve, reject, feature, dismiss reports, suspend and ban. Every
action is recorded with who did it and when (ModerationAction), and checked first: only
members of a group with the `moderate_comment` permission (Moderators, Admins) may act."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Comment, ModerationAction, ReaderProfile, Report
from .notifications import notify_reply
from .rules import CommentRefused

Kind = ModerationAction.Kind
BULK_ACTIONS = {"approve": Kind.APPROVE, "reject": Kind.REJECT, "feature": Kind.FEATURE,
                "unfeature": Kind.UNFEATURE, "dismiss": Kind.DISMISS_REPORTS,
                "hold": Kind.HOLD}


def may_moderate(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and user.has_perm("comments.moderate_comment"))


def queue_filter(*, story_id: int | None = None, author_id: int | None = None,
                 headline: str = "", commenter: str = "") -> Q:
    """The queue's filters as one condition on comments. Moderators know stories by their
    headline and commenters by the name they show or their e-mail, so besides the ids (the
    queue's own "only this story" links) each text filter matches every word it is given
    in any of those, ignoring case: "ada love" finds Ada Lovelace and ada@lovelace.example."""
    q = Q()
    if story_id:
        q &= Q(story_id=story_id)
    if author_id:
        q &= Q(author_id=author_id)
    for word in headline.split():
        q &= Q(story__title__icontains=word)
    for word in commenter.split():
        q &= (Q(author__reader_profile__display_name__icontains=word)
              | Q(author__first_name__icontains=word) | Q(author__last_name__icontains=word)
              | Q(author__email__icontains=word) | Q(author__username__icontains=word)
              | Q(guest_name__icontains=word))
    return q


def _check(user) -> None:
    if not may_moderate(user):
        raise CommentRefused("Only moderators can moderate comments.")


def _apply(comment: Comment, kind: str, now) -> list[str]:
    changed = []
    if kind == Kind.APPROVE:
        comment.status = Comment.Status.APPROVED
        changed = ["status"]
    elif kind == Kind.REJECT:
        comment.status, comment.featured = Comment.Status.REJECTED, False
        changed = ["status", "featured"]
    elif kind == Kind.FEATURE:
        # Featuring is a stronger approval: a featured comment is always visible.
        comment.status, comment.featured = Comment.Status.APPROVED, True
        changed = ["status", "featured"]
    elif kind == Kind.HOLD:
        comment.status, comment.featured = Comment.Status.PENDING, False
        changed = ["status", "featured"]
    elif kind == Kind.UNFEATURE:
        comment.featured = False
        changed = ["featured"]
    if kind in (Kind.APPROVE, Kind.REJECT, Kind.FEATURE, Kind.DISMISS_REPORTS):
        Report.objects.filter(comment=comment, resolved_at__isnull=True).update(resolved_at=now)
        comment.open_reports = 0
        changed.append("open_reports")
    return changed


@transaction.atomic
def moderate(comments: Iterable[Comment], *, action: str, by, note: str = "") -> int:
    """Apply one action to many comments; returns how many were acted on."""
    _check(by)
    kind = BULK_ACTIONS.get(action)
    if kind is None:
        raise CommentRefused(f"Unknown moderation action {action!r}.")
    now = timezone.now()
    done = 0
    ids = [c.pk for c in comments]
    for comment in Comment.objects.select_for_update().filter(pk__in=ids):
        was_visible = comment.status == Comment.Status.APPROVED
        if kind in (Kind.APPROVE, Kind.FEATURE) and comment.deleted_at is not None:
            continue  # the author withdrew it; a moderator cannot put words back
        changed = _apply(comment, kind, now)
        comment.save(update_fields=changed)  # post_save purges the story's cached pages
        ModerationAction.objects.create(kind=kind, comment=comment, commenter_id=comment.author_id,
                                        moderator=by, note=note[:300])
        if not was_visible and comment.status == Comment.Status.APPROVED:
            notify_reply(comment)
        done += 1
    return done


def approve_comment(comment: Comment, *, by) -> None:
    moderate([comment], action="approve", by=by)


def reject_comment(comment: Comment, *, by) -> None:
    moderate([comment], action="reject", by=by)


def feature_comment(comment: Comment, *, by) -> None:
    moderate([comment], action="feature", by=by)


@transaction.atomic
def suspend_commenter(user, *, by, days: int, note: str = "") -> ReaderProfile:
    _check(by)
    if days < 1 or days > 365:
        raise CommentRefused("A suspension lasts from 1 to 365 days.")
    if user.pk == by.pk:
        raise CommentRefused("Moderators cannot suspend themselves.")
    profile, _ = ReaderProfile.objects.get_or_create(user=user)
    profile.suspended_until = timezone.now() + timedelta(days=days)
    profile.save(update_fields=["suspended_until"])
    ModerationAction.objects.create(kind=Kind.SUSPEND, commenter=user, moderator=by,
                                    note=(note or f"{days} days")[:300])
    return profile


@transaction.atomic
def ban_commenter(user, *, by, note: str = "", reject_pending: bool = True) -> ReaderProfile:
    _check(by)
    if user.pk == by.pk:
        raise CommentRefused("Moderators cannot ban themselves.")
    profile, _ = ReaderProfile.objects.get_or_create(user=user)
    profile.banned_at = timezone.now()
    profile.save(update_fields=["banned_at"])
    ModerationAction.objects.create(kind=Kind.BAN, commenter=user, moderator=by, note=note[:300])
    if reject_pending:
        pending = list(Comment.objects.filter(author=user, status=Comment.Status.PENDING))
        if pending:
            moderate(pending, action="reject", by=by, note="author banned")
    return profile


@transaction.atomic
def reinstate_commenter(user, *, by) -> ReaderProfile:
    _check(by)
    profile, _ = ReaderProfile.objects.get_or_create(user=user)
    profile.banned_at = None
    profile.suspended_until = None
    profile.save(update_fields=["banned_at", "suspended_until"])
    ModerationAction.objects.create(kind=Kind.REINSTATE, commenter=user, moderator=by)
    return profile


def history(user, *, limit: int = 200) -> dict:
    """A commenter's record for the moderator deciding what to do about them."""
    comments = list(Comment.objects.filter(author=user).select_related("story")
                    .order_by("-created_at", "-id")[:limit])
    counts = {s: 0 for s in Comment.Status.values}
    for row in Comment.objects.filter(author=user).values_list("status", flat=True):
        counts[row] += 1
    return {
        "comments": comments,
        "counts": counts,
        "reports_against": Report.objects.filter(comment__author=user).count(),
        "actions": list(ModerationAction.objects.filter(commenter=user)
                        .select_related("moderator", "comment")[:100]),
        "profile": ReaderProfile.objects.filter(user=user).first(),
    }
