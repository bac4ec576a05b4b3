"""Newsletters and their readers: who asked for which newsletter, and which addresses must
never get mail again (bounces, complaints, "unsubscribe from everything")."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


class Newsletter(models.Model):
    """One newsletter of the site (a Wagtail snippet): the morning briefing, breaking alerts, a
    section's weekly digest. Readers sign up to active ones; each send is an Edition."""

    class Kind(models.TextChoices):
        BRIEFING = "briefing", "Briefing"
        ALERT = "alert", "Alert"
        DIGEST = "digest", "Digest"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True,
                            help_text="Names the list in e-mail headers (List-Id).")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BRIEFING)
    description = models.TextField(blank=True, help_text="One or two sentences for readers.")
    sender_name = models.CharField(max_length=100, blank=True)
    sender_address = models.EmailField(
        blank=True, help_text="Empty: the site's own address (BROADSHEET_EMAIL_FROM).")
    active = models.BooleanField(default=True, help_text="Readers can sign up to it.")
    section = models.ForeignKey(
        "sections.SectionPage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Briefings and digests take their stories from this "
        "section; empty: from the whole site.")
    story_count = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="How many top stories a briefing leads with (a digest takes every story "
        "since its last send, up to four times this).")
    intro = models.TextField(blank=True, help_text="The usual intro; each edition can change "
                             "it before it goes.")
    send_daily_at = models.TimeField(
        null=True, blank=True, help_text="Built and sent every day at this time (site time); "
        "empty: sent by hand only. The edition is built an hour before, so an editor can "
        "change or cancel it.")
    send_weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(i, day) for i, day in enumerate(
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])],
        help_text="Only on this day of the week (a weekly digest); empty: every day.")
    send_rate = models.PositiveIntegerField(
        default=0, help_text="At most this many messages a second (a mail service's sending "
        "limit); 0: as fast as the service takes them.")

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("kind"),
              FieldPanel("description"),
              MultiFieldPanel([FieldRowPanel([FieldPanel("sender_name"),
                                              FieldPanel("sender_address")])], "Sender"),
              FieldPanel("section"), FieldPanel("story_count"), FieldPanel("intro"),
              FieldRowPanel([FieldPanel("send_daily_at"), FieldPanel("send_weekday"),
                             FieldPanel("send_rate")]),
              FieldPanel("active")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def from_email(self) -> str:
        address = self.sender_address or settings.DEFAULT_FROM_EMAIL
        if not self.sender_name:
            return address
        # Quoted, so a comma or bracket in the name cannot split the header.
        name = self.sender_name.replace("\\", "").replace('"', "")
        return f'"{name}" <{address}>'


class Subscriber(models.Model):
    """An e-mail address that confirmed at least once. The address is kept as typed but is
    unique whatever its case: Ada@Example.org and ada@example.org are one reader."""

    email = models.EmailField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="newsletter_subscribers")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"),
                                               name="newsletters_subscriber_email_ci")]

    def __str__(self):
        return self.email


class Subscription(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "newsletter"],
                                               name="newsletters_subscription_once")]


class Suppression(models.Model):
    """An address no newsletter mail (not even a sign-up confirmation) may go to."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Bounced"
        COMPLAINT = "complaint", "Complained (marked as spam)"
        UNSUBSCRIBED_ALL = "unsubscribed-all", "Unsubscribed from everything"
        MANUAL = "manual", "Added by hand"

    email = models.EmailField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"),
                                               name="newsletters_suppression_email_ci")]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"

    @classmethod
    def add(cls, email: str, reason: str) -> None:
        """No newsletter mail to this address again. Bounces and complaints outrank an
        earlier "unsubscribe from everything"; nothing outranks them."""
        with transaction.atomic():
            row = cls.objects.select_for_update().filter(email__iexact=email).first()
            if row is None:
                cls.objects.create(email=email, reason=reason)
            elif (row.reason == cls.Reason.UNSUBSCRIBED_ALL
                  and reason != cls.Reason.UNSUBSCRIBED_ALL):
                row.reason = reason
                row.save(update_fields=["reason"])


class SignupRequest(models.Model):
    """A sign-up waiting for its confirmation link. Nothing is subscribed until the link is
    used; `nonce` is what the signed link names, and `used_at` makes the link single-use."""

    email = models.EmailField()
    newsletters = models.ManyToManyField(Newsletter, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)


class Edition(models.Model):
    """One send of a newsletter. Its HTML and text are rendered once when it is built, with
    placeholders for each reader's own links; an editor may change the subject and intro (and
    build it again) until it starts sending."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT,
                                   related_name="editions")
    subject = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text="Shown above the stories.")
    story = models.ForeignKey("articles.ArticlePage", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text="An alert's story.")
    story_ids = models.JSONField(default=list, blank=True, editable=False)
    html = models.TextField(blank=True, editable=False)
    text = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    send_at = models.DateTimeField(null=True, blank=True,
                                   help_text="When a scheduled edition starts sending.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The figures, kept on the edition so they outlive the per-recipient rows.
    recipients = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    deferred = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    complained = models.PositiveIntegerField(default=0)
    # Only when the site counts opens and clicks (NewsletterSettings), fixed when built: a
    # count for the whole send, never who.
    tracked = models.BooleanField(default=False, editable=False)
    opens = models.PositiveIntegerField(default=0)
    # Who is sending it now: one runner at a time, whatever the number of hosts and workers.
    # The lease is renewed every batch; a runner killed mid-send is replaced once it lapses.
    runner = models.CharField(max_length=100, blank=True, editable=False)
    runner_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [FieldPanel("subject"), FieldPanel("intro")]

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_edition", "Can schedule and send newsletter editions")]

    def __str__(self):
        return f"{self.newsletter}: {self.subject}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class Delivery(models.Model):
    """One recipient of one edition. The row is the idempotency key: made before anything is
    sent, marked sent in its own commit when the mail server can take the message (just
    before the end of its data over SMTP: end_of_data.py), and never sent again once marked."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        DEFERRED = "deferred", "Deferred (tried again later)"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        SKIPPED = "skipped", "Skipped (suppressed since the send began)"
        FAILED = "failed", "Failed"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the mail service called the message (anymail), to match its bounce reports.
    service_id = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["edition", "subscriber"],
                                               name="newsletters_delivery_once")]
        indexes = [models.Index(fields=["edition", "status", "id"],
                                name="newsletters_delivery_todo")]


class ListActivity(models.Model):
    """Sign-ups and unsubscribes per newsletter and day: counts only, never who."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="activity")
    day = models.DateField()
    joined = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["newsletter", "day"],
                                               name="newsletters_activity_day")]


class EditionLink(models.Model):
    """A link of a tracked edition and how often it was followed, by anyone."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]


@register_setting(icon="mail")
class NewsletterSettings(BaseSiteSetting):
    count_opens_and_clicks = models.BooleanField(
        default=False, help_text="Newsletter e-mails carry a tracking picture and links "
        "through this site, counted per send and per link, never per reader. Off: no picture "
        "and links straight to the stories. Applies to editions built from now on.")

    class Meta:
        verbose_name = "Newsletter settings"
