"""Reading and writing a story's discussion."""

from __future__ import annotations

from django import forms

from .models import Comment

SHOWN_ON_STORY = 10


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment", max_length=5000, min_length=2,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write something before posting.",
                        "min_length": "A comment needs at least %(limit_value)d characters."})

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) < 2:
            raise forms.ValidationError("Write something before posting.")
        return body


def approved_comments(story):
    return (Comment.objects.filter(story=story, status=Comment.Status.APPROVED)
            .select_related("author"))


def latest_for_story(story) -> tuple[list[Comment], int]:
    """The newest comments shown under the story (oldest first) and the total count: two
    index-served queries, as cheap with three thousand comments as with three."""
    latest = list(approved_comments(story).order_by("-created_at", "-id")[:SHOWN_ON_STORY])
    # Counted even when all comments are shown, so the page costs the same queries whatever
    # the size of the discussion.
    return latest[::-1], approved_comments(story).count()


def post_comment(story, user, body: str) -> Comment:
    if not user.is_authenticated:
        raise PermissionError("Only signed-in readers can comment.")
    if story.comments != story.Comments.OPEN or not story.live:
        raise PermissionError("Comments are closed on this story.")
    return Comment.objects.create(story=story, author=user, body=body)
