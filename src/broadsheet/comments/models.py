"""Reader comments on stories."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Comment(models.Model):
    """One reader's comment. The body is plain text; it is never rendered as markup."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    story = models.ForeignKey("articles.ArticlePage", on_delete=models.CASCADE,
                              related_name="reader_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="reader_comments")
    body = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["story", "status", "created_at"],
                                name="comment_story_status_time")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.story_id}"

    @property
    def display_name(self) -> str:
        if self.author is None:
            return "Deleted account"
        return self.author.get_full_name() or self.author.get_username().split("@")[0]
