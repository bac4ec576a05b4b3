"""Reader comments on stories, the reactions and reports on them, and the newsroom's record
of moderating them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

DELETED_ACCOUNT = "Deleted account"


class Comment(models.Model):
    """One reader's comment. The body is plain text; it is never rendered as markup.

    Threads are two levels deep: `parent` is always a top-level comment (a reply to a reply
    is filed under the same top-level comment), and `reply_to` remembers which comment the
    reader answered, for the "replying to" line and the reply notification.
    """

    # Reader content, not editorial content: Wagtail's reference index ("where is this
    # page used") must not grow a row per comment.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    story = models.ForeignKey("articles.ArticlePage", on_delete=models.CASCADE,
                              related_name="reader_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="reader_comments")
    body = models.TextField(max_length=5000)
    # The name an imported comment (a WordPress move-in) was signed with: it has no account
    # here. Empty for readers' own comments, which show their profile's name.
    guest_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="replies")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    featured = models.BooleanField(default=False)
    # Kept on the row so "most reacted" sorts over an index, not a join and a count.
    respect_count = models.PositiveIntegerField(default=0)
    open_reports = models.PositiveIntegerField(default=0)
    notify_replies = models.BooleanField(default=False)
    # Why the automatic rules held or rejected it ("" when they let it through).
    held_for = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["story", "status", "created_at"],
                                name="comment_story_status_time"),
                   models.Index(fields=["story", "status", "deleted_at"],
                                name="comment_story_count"),
                   models.Index(fields=["story", "parent", "status", "respect_count"],
                                name="comment_story_reacted"),
                   models.Index(fields=["parent", "status", "created_at"],
                                name="comment_replies"),
                   models.Index(fields=["author", "created_at"], name="comment_author_time"),
                   models.Index(fields=["story", "created_at"], condition=models.Q(featured=True),
                                name="comment_featured")]
        permissions = [("moderate_comment", "Can moderate reader comments and commenters")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.story_id}"

    @property
    def display_name(self) -> str:
        if self.author_id is None and self.guest_name:
            return self.guest_name
        return display_name_of(self.author)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None


def display_name_of(user) -> str:
    """The name a reader shows the public: never their e-mail address."""
    if user is None:
        return DELETED_ACCOUNT
    try:
        name = user.reader_profile.display_name
    except ReaderProfile.DoesNotExist:
        name = ""
    return public_name(user, name)


def public_name(user, profile_name: str | None) -> str:
    """display_name_of, given the name in the reader's profile (None or "" if none)."""
    return profile_name or user.get_full_name() or f"Reader {user.pk}"


class ReaderProfile(models.Model):
    """What a reader shows the public, and where the newsroom stands with them."""

    wagtail_reference_index_ignore = True

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="reader_profile")
    display_name = models.CharField(max_length=50, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.display_name or f"Reader {self.user_id}"

    def is_suspended(self, now=None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or timezone.now())


class Reaction(models.Model):
    """A reader's "Respect" for a comment: one per reader per comment."""

    wagtail_reference_index_ignore = True

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="comment_reactions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reader"],
                                               name="reaction_once_per_reader")]


class Report(models.Model):
    """A reader telling the newsroom a comment breaks the rules."""

    wagtail_reference_index_ignore = True

    class Reason(models.TextChoices):
        ABUSE = "abuse", "Abusive or harassing"
        SPAM = "spam", "Spam or advertising"
        OFF_TOPIC = "off_topic", "Off topic"
        MISINFORMATION = "misinformation", "False or misleading"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="comment_reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"],
                                               name="report_once_per_reader")]


class ModerationAction(models.Model):
    """Who did what to which comment or commenter, and when: the moderation log."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        HOLD = "hold", "Sent back to pending"
        FEATURE = "feature", "Featured"
        UNFEATURE = "unfeature", "Unfeatured"
        DISMISS_REPORTS = "dismiss", "Dismissed reports"
        SUSPEND = "suspend", "Suspended commenter"
        BAN = "ban", "Banned commenter"
        REINSTATE = "reinstate", "Reinstated commenter"
        AUTO_HOLD = "auto_hold", "Held by the rules"
        AUTO_REJECT = "auto_reject", "Rejected by the rules"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="moderation_actions")
    commenter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # None for the automatic rules.
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


@register_setting(icon="comment")
class CommentRules(BaseSiteSetting):
    """The newsroom's automatic moderation rules, applied to every new comment."""

    close_after_days = models.PositiveIntegerField(
        default=0, help_text="Close comments this many days after a story is first published "
                             "(0: never close automatically).")
    premoderate_first = models.PositiveIntegerField(
        default=0, help_text="Hold a new account's first N comments for a moderator.")
    banned_words = models.TextField(
        blank=True, help_text="One word or phrase per line; comments containing one are "
                              "rejected.")
    suspect_words = models.TextField(
        blank=True, help_text="One word or phrase per line; comments containing one wait for "
                              "a moderator.")
    max_links = models.PositiveIntegerField(
        default=3, help_text="Comments with more links than this wait for a moderator.")
    duplicate_window_minutes = models.PositiveIntegerField(
        default=60, help_text="Refuse a comment identical to one the same reader posted this "
                              "many minutes before (0: allow).")
    account_per_minute = models.PositiveIntegerField(
        default=5, help_text="Comments one account may post per minute (0: no limit).")
    ip_per_minute = models.PositiveIntegerField(
        default=20, help_text="Comments one network address may post per minute (0: no "
                              "limit).")

    panels = [
        FieldPanel("close_after_days"),
        MultiFieldPanel([FieldPanel("premoderate_first"), FieldPanel("banned_words"),
                         FieldPanel("suspect_words"), FieldPanel("max_links"),
                         FieldPanel("duplicate_window_minutes")], heading="Automatic rules"),
        MultiFieldPanel([FieldPanel("account_per_minute"), FieldPanel("ip_per_minute")],
                        heading="Rate limits"),
    ]

    class Meta:
        verbose_name = "Comment rules"

    @staticmethod
    def words(text: str) -> list[str]:
        return [w.strip().casefold() for w in text.splitlines() if w.strip()]
