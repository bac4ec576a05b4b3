"""Newsletters and their readers: who asked for which newsletter, and which addresses must
never get mail again (bounces, complaints, "unsubscribe from everything")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from wagtail.admin.panels import FieldPanel


class Newsletter(models.Model):
    """One newsletter of the site (a Wagtail snippet): the morning briefing, breaking alerts, a
    section's weekly digest. Sending is a later slice; readers sign up to active ones."""

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

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("kind"),
              FieldPanel("description"), FieldPanel("sender_name"),
              FieldPanel("sender_address"), FieldPanel("active")]

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
