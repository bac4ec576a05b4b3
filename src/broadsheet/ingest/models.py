"""What an import remembers: where each imported thing came from, and pictures left remote."""

from __future__ import annotations

from django.db import models


class ImportedObject(models.Model):
    """One thing an import made, keyed by its identity in the source.

    Re-running an import finds what it made before here instead of making it again. For a
    WordPress comment it also keeps the WordPress id of the comment it answers
    (`parent_external_id`), so threads can be linked once comments have a parent; `data` keeps
    what the newsroom's model has no field for (a WordPress commenter's name and site).
    """

    source = models.CharField(max_length=300, help_text="The export or feed it came from.")
    kind = models.CharField(max_length=20)  # post, page, attachment, comment, author, ...
    external_id = models.CharField(max_length=200)
    parent_external_id = models.CharField(max_length=200, blank=True)
    object_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "kind", "external_id"],
                                               name="imported_object_identity")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} from {self.source}"


class FetchedImage(models.Model):
    """A picture file fetched from the address an import gave, so it is fetched once."""

    url = models.CharField(max_length=1000, unique=True)
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE,
                              related_name="+")


class RemoteImage(models.Model):
    """A picture an import could not fetch: its address and words, kept so that an editor
    (or a later run with the network) can bring it in.

    A story's hero picture that failed for a reason that may pass (the wire's server was
    down, the file was not there yet) is tried again in the background, with longer waits
    each time and a bounded number of attempts (`late_pictures.py`); the state of those tries
    lives here, so a restart loses none of it."""

    class Role(models.TextChoices):
        HERO = "hero", "Hero"
        INLINE = "inline", "Inline"
        ATTACHMENT = "attachment", "Attachment"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for another attempt"
        FETCHED = "fetched", "Fetched and given to the story"
        GAVE_UP = "gave_up", "Not fetched: no attempts left"
        SUPERSEDED = "superseded", "Not needed: an editor gave the story a picture"
        RECORDED = "recorded", "Recorded for an editor (not tried again)"

    page = models.ForeignKey("wagtailcore.Page", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=1000)
    role = models.CharField(max_length=12, choices=Role.choices)
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(max_length=200, blank=True)
    alt = models.CharField(max_length=250, blank=True)
    problem = models.CharField(max_length=500,
                               help_text="Why the file was not fetched (the latest attempt).")
    recorded_at = models.DateTimeField(auto_now_add=True)
    renditions = models.JSONField(
        default=list, blank=True,
        help_text="The item's own files of the picture, with their sizes, as the item gave "
                  "them: [{href, width, height, contentType}].")
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECORDED)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Fetches tried so far, the import's own included.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next attempt is due (while waiting).")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    image = models.ForeignKey("wagtailimages.Image", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text="The picture once fetched.")

    class Meta:
        indexes = [models.Index(fields=["url"], name="remote_image_url"),
                   models.Index(fields=["state", "next_attempt_at"], name="remote_image_due")]

    def __str__(self) -> str:
        return self.url
