from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from broadsheet.articles.models import ArticlePage

from .discussion import CommentForm, approved_comments, post_comment


def _live_story(story_id: int) -> ArticlePage:
    story = ArticlePage.objects.live().public().filter(id=story_id).first()
    if story is None:
        raise Http404("No such story")
    return story


@login_required
@require_POST
def post(request, story_id: int):
    story = _live_story(story_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        # Keep what the reader typed and say what is wrong.
        return render(request, "comments/form_error.html", {"story": story, "form": form},
                      status=400)
    try:
        comment = post_comment(story, request.user, form.cleaned_data["body"])
    except PermissionError as exc:
        return HttpResponseForbidden(str(exc))
    return redirect(f"{story.url}#comment-{comment.pk}")


def discussion(request, story_id: int):
    story = _live_story(story_id)
    comments = Paginator(approved_comments(story).order_by("created_at", "id"), 50)
    return render(request, "comments/discussion.html", {
        "story": story, "comments": comments.get_page(request.GET.get("page")),
        "form": CommentForm() if story.comments == story.Comments.OPEN else None,
    })
