"""Reading and writing a story's discussion: threads, posting, replying, editing, deleting,
reacting and reporting. Every write checks who may do it first and changes nothing when
refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, Q, Subquery
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .comment_counts import count_for, visible_q
from .models import (
    Comment,
    ModerationAction,
    Reaction,
    ReaderProfile,
    Report,
    display_name_of,
    public_name,
)
from .notifications import notify_reply
from .rules import (
    CommentRefused,
    check_duplicate,
    check_rate,
    check_standing,
    comments_state,
    content_verdict,
    route,
    rules_for,
)
from .text import clean_input

SHOWN_ON_STORY = 20  # top-level comments on the first page of a thread
MAX_SHOWN = 1000  # "load more" grows the page up to this, then stops offering more
FEATURED_SHOWN = 5
EDIT_WINDOW = timedelta(minutes=5)
SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "reacted": ("-respect_count", "-created_at", "-id"),
}
SORT_LABELS = {"newest": "Newest", "oldest": "Oldest", "reacted": "Most respected"}
DEFAULT_SORT = "newest"


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment", max_length=5000, min_length=2, strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write something before posting.",
                        "min_length": "A comment needs at least %(limit_value)d characters.",
                        "max_length": "A comment can be at most %(limit_value)d characters "
                                      "(it has %(show_value)d)."})
    notify = forms.BooleanField(label="E-mail me when someone replies", required=False)

    def clean_body(self):
        body = clean_input(self.cleaned_data["body"])
        if len(body) < 2:
            raise forms.ValidationError("Write something before posting.")
        return body


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label="Why should a moderator look at this?",
                               choices=Report.Reason.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose a reason."})
    detail = forms.CharField(label="Anything to add? (optional)", max_length=500,
                             required=False, widget=forms.Textarea(attrs={"rows": 3}))


# Reading -----------------------------------------------------------------------------------


@dataclass
class Thread:
    story: object
    comments: list = field(default_factory=list)  # top-level, each with .reply_list
    featured: list = field(default_factory=list)
    total: int = 0
    sort: str = DEFAULT_SORT
    shown: int = SHOWN_ON_STORY
    has_more: bool = False
    respected: set = field(default_factory=set)  # ids the viewing reader gave Respect

    @property
    def next_shown(self) -> int:
        return min(self.shown + SHOWN_ON_STORY, MAX_SHOWN)

    @property
    def last_id(self):
        return self.comments[-1].pk if self.comments else None


def _seen_by(user) -> Q:
    """Approved comments, and the viewer's own pending ones (shown to them as waiting)."""
    q = Q(status=Comment.Status.APPROVED)
    if user is not None and user.is_authenticated:
        q |= Q(status=Comment.Status.PENDING, author=user)
    return q


def thread(story, *, user=None, sort: str = DEFAULT_SORT, shown: int = SHOWN_ON_STORY
           ) -> Thread:
    """The first `shown` top-level comments with all their replies, plus Featured, in three
    queries (four for a signed-in reader) whatever the size of the discussion."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    shown = max(1, min(shown, MAX_SHOWN))
    counted = Comment.objects.filter(visible_q(), story=story).order_by().values("story")
    top = list(
        Comment.objects.filter(_seen_by(user), story=story, parent__isnull=True)
        .select_related("author__reader_profile")
        # The total rides along on each row: no top-level rows means no visible comments.
        .annotate(total=Subquery(counted.annotate(n=Count("id")).values("n"),
                                 output_field=IntegerField()))
        .order_by(*SORTS[sort])[:shown + 1])
    result = Thread(story=story, sort=sort, shown=shown, has_more=len(top) > shown)
    top = top[:shown]
    if not top:
        return result
    result.total = top[0].total or 0
    by_id = {c.pk: c for c in top}
    for c in top:
        c.reply_list = []
    # Replies of the shown comments (over the parent index), then the story's featured
    # comments (a partial index holds just those): two small queries; one query with an OR
    # between them scanned every approved comment.
    related = ("author__reader_profile", "reply_to__author__reader_profile")
    for c in (Comment.objects.filter(_seen_by(user), parent_id__in=list(by_id))
              .select_related(*related).order_by("created_at", "id")):
        by_id[c.parent_id].reply_list.append(c)
    result.featured = list(Comment.objects.filter(visible_q(), story=story, featured=True)
                           .select_related("author__reader_profile")
                           .order_by("-created_at", "-id")[:FEATURED_SHOWN])
    result.comments = top
    if user is not None and user.is_authenticated:
        ids = [c.pk for c in top] + [r.pk for c in top for r in c.reply_list]
        result.respected = set(Reaction.objects.filter(reader=user, comment_id__in=ids)
                               .values_list("comment_id", flat=True))
    return result


def approved_comments(story):
    return (Comment.objects.filter(story=story, status=Comment.Status.APPROVED)
            .select_related("author"))


def latest_for_story(story) -> tuple[list[Comment], int]:
    """Kept for callers outside the app: the newest comments (oldest first) and the count."""
    latest = list(approved_comments(story).filter(deleted_at__isnull=True)
                  .order_by("-created_at", "-id")[:10])
    return latest[::-1], count_for(story)


def comment_state(story, *, site=None) -> str:
    return comments_state(story, rules_for(site))


def can_edit(comment: Comment, user, now=None) -> bool:
    return (user is not None and user.is_authenticated and comment.author_id == user.pk
            and comment.deleted_at is None
            and (now or timezone.now()) - comment.created_at <= EDIT_WINDOW)


# Writing -----------------------------------------------------------------------------------


def _require_reader(user) -> None:
    if user is None or not user.is_authenticated:
        raise CommentRefused("Only signed-in readers can comment.")


def post_comment(story, user, body: str, *, parent: Comment | None = None,
                 ip: str | None = None, notify: bool = False, site=None) -> Comment:
    """Post a comment (or a reply to `parent`) as `user`, routed by the site's rules.

    A reply to a reply is filed under the same top-level comment: threads stay two deep.
    The checks only read, so they run before the write transaction: on SQLite the write lock
    is held just for the two inserts."""
    _require_reader(user)
    rules = rules_for(site)
    check_standing(user)
    state = comments_state(story, rules)
    if state == "closed" or not story.live:
        raise CommentRefused("Comments are closed on this story.")
    reply_to = None
    if parent is not None:
        if parent.story_id != story.pk or parent.status != Comment.Status.APPROVED \
                or parent.deleted_at is not None:
            raise CommentRefused("That comment cannot be replied to.")
        reply_to = parent
        parent = parent if parent.parent_id is None else parent.parent
    check_rate(user, ip, rules)
    check_duplicate(user, body, rules)
    verdict = route(story_state=state, user=user, body=body, rules=rules)
    with transaction.atomic():
        comment = Comment.objects.create(story=story, author=user, body=body, parent=parent,
                                         reply_to=reply_to, status=verdict.status,
                                         held_for=verdict.reason, notify_replies=notify)
        if verdict.reason:
            ModerationAction.objects.create(
                kind=(ModerationAction.Kind.AUTO_REJECT
                      if verdict.status == Comment.Status.REJECTED
                      else ModerationAction.Kind.AUTO_HOLD),
                comment=comment, commenter=user, note=verdict.reason[:300])
        if comment.status == Comment.Status.APPROVED:
            notify_reply(comment)
    return comment


@transaction.atomic
def edit_comment(comment: Comment, *, user, body: str, site=None) -> Comment:
    """The author rewrites their comment within five minutes of posting; it is marked edited
    and goes through the content rules again (an edit must not smuggle in what a post could
    not)."""
    _require_reader(user)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.author_id != user.pk:
        raise CommentRefused("You can only edit your own comments.")
    if comment.deleted_at is not None:
        raise CommentRefused("This comment was deleted.")
    if not can_edit(comment, user):
        raise CommentRefused("Comments can only be edited in the first 5 minutes.")
    check_standing(user)
    if body == comment.body:
        return comment
    verdict = content_verdict(body, rules_for(site))
    comment.body = body
    comment.edited_at = timezone.now()
    if verdict.status != Comment.Status.APPROVED:
        comment.status, comment.held_for = verdict.status, verdict.reason
        ModerationAction.objects.create(
            kind=(ModerationAction.Kind.AUTO_REJECT if verdict.status == Comment.Status.REJECTED
                  else ModerationAction.Kind.AUTO_HOLD),
            comment=comment, commenter=user, note=f"after edit: {verdict.reason}"[:300])
    comment.save(update_fields=["body", "edited_at", "status", "held_for"])
    return comment


@transaction.atomic
def delete_comment(comment: Comment, *, user) -> Comment:
    """The author removes their words; the row stays so replies keep their thread."""
    _require_reader(user)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.author_id != user.pk:
        raise CommentRefused("You can only delete your own comments.")
    if comment.deleted_at is None:
        comment.deleted_at = timezone.now()
        comment.body = ""
        comment.featured = False
        comment.notify_replies = False
        comment.save(update_fields=["deleted_at", "body", "featured", "notify_replies"])
    return comment


def _visible_to_act_on(comment: Comment) -> None:
    if comment.status != Comment.Status.APPROVED or comment.deleted_at is not None:
        raise CommentRefused("That comment is not available.")


@transaction.atomic
def toggle_respect(comment: Comment, *, user) -> bool:
    """Give (or take back) Respect; True when the reader now respects the comment."""
    _require_reader(user)
    _visible_to_act_on(comment)
    if comment.author_id == user.pk:
        raise CommentRefused("You cannot give Respect to your own comment.")
    gone, _ = Reaction.objects.filter(comment=comment, reader=user).delete()
    if gone:
        Comment.objects.filter(pk=comment.pk, respect_count__gt=0).update(
            respect_count=F("respect_count") - 1)
        return False
    try:
        with transaction.atomic():
            Reaction.objects.create(comment=comment, reader=user)
    except IntegrityError:  # a double click raced us: the first one counted
        return True
    Comment.objects.filter(pk=comment.pk).update(respect_count=F("respect_count") + 1)
    return True


@transaction.atomic
def report_comment(comment: Comment, *, user, reason: str, detail: str = "") -> Report:
    _require_reader(user)
    _visible_to_act_on(comment)
    if comment.author_id == user.pk:
        raise CommentRefused("You cannot report your own comment.")
    if reason not in Report.Reason.values:
        raise CommentRefused("Choose a reason for the report.")
    existing = Report.objects.filter(comment=comment, reporter=user).first()
    if existing is not None:
        return existing
    report = Report.objects.create(comment=comment, reporter=user, reason=reason,
                                   detail=clean_input(detail)[:500])
    Comment.objects.filter(pk=comment.pk).update(open_reports=F("open_reports") + 1)
    return report


def story_discussion(story, *, user=None, site=None) -> dict:
    """What the story page shows of its discussion (context for comments/story_comments).
    The thread is read only if shown: the page may have it as a fragment already."""
    state = comments_state(story, rules_for(site))
    # A new story in the editor's preview is not saved: nothing to read or to post to yet.
    saved = story.pk is not None
    conversation = (SimpleLazyObject(lambda: thread(story, user=user)) if saved
                    else Thread(story=story))
    signed_in = user is not None and user.is_authenticated
    thread_kind, name = reader_on_story(story, user)
    return {
        "thread": conversation,
        "thread_kind": thread_kind,
        "comments_state": state,
        "sorts": SORT_LABELS,
        "comment_form": CommentForm() if signed_in and saved and state != "closed" else None,
        "commenter_name": name,
    }


# Asked on every story page a signed-in reader opens. Written out: the ORM's compiling of the
# two EXISTS subqueries cost 3 ms a page, ten times the query itself. The names are the
# models' own tables; every value is a parameter.
_READER_ON_STORY_SQL = (
    f"SELECT EXISTS (SELECT 1 FROM {Comment._meta.db_table} "  # noqa: S608
    "WHERE story_id = %s AND author_id = %s) "
    f"OR EXISTS (SELECT 1 FROM {Reaction._meta.db_table} r "
    f"JOIN {Comment._meta.db_table} c ON c.id = r.comment_id "
    "WHERE r.reader_id = %s AND c.story_id = %s), "
    f"(SELECT display_name FROM {ReaderProfile._meta.db_table} WHERE user_id = %s)")


def reader_on_story(story, user) -> tuple[str | None, str]:
    """Which shared copy of a story's thread `user` sees, and the name they comment under.

    The copy is "anonymous" for a reader not signed in; "reader" for a signed-in reader with
    no comment on the story and no Respect given to one (the thread then differs from anyone
    else's only by the CSRF token); None if theirs is their own."""
    if user is None or not user.is_authenticated:
        return "anonymous", ""
    if story.pk is None:
        return None, display_name_of(user)
    with connection.cursor() as cursor:
        cursor.execute(_READER_ON_STORY_SQL, [story.pk, user.pk, user.pk, story.pk, user.pk])
        joined, profile_name = cursor.fetchone()
    return (None if joined else "reader"), public_name(user, profile_name)
