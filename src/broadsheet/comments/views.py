"""Reader-facing comment views: they parse, call discussion/moderation functions, render.
Every write is a POST behind Django's CSRF check; refusals say why and change nothing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.story_lists import (
    bad_request,
    limit_from,
    list_response,
    live_stories,
    story_json,
)
from broadsheet.articles.visibility import restricted_paths

from . import discussed as discussed_stories
from .discussion import (
    SORT_LABELS,
    CommentForm,
    ReportForm,
    can_edit,
    comment_state,
    delete_comment,
    edit_comment,
    post_comment,
    report_comment,
    thread,
    toggle_respect,
)
from .models import Comment
from .notifications import comment_for_token
from .rules import CommentRefused, rules_for_request

# What posting reads of a story: whether it takes comments, its headline and its address.
# Building and loading all 42 columns of the page row took a post another 0.4 ms.
_POSTING_FIELDS = ("title", "path", "depth", "url_path", "live", "comments",
                   "first_published_at", "locale_id", "content_type_id")


def _live_story(story_id: int, *, only: tuple[str, ...] = ()) -> ArticlePage:
    stories = ArticlePage.objects.live().filter(id=story_id)
    # One row by primary key: a slice, not first(), which would compile an ORDER BY too.
    story = next(iter(stories.only(*only)[:1] if only else stories[:1]), None)
    # Behind a view restriction is not public: checked against the cached restricted paths,
    # where Wagtail's public() queries the restrictions on every post.
    if story is None or any(story.path.startswith(p) for p in restricted_paths()):
        raise Http404("No such story")
    return story


def _own_visible_comment(comment_id: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("story", "author"), pk=comment_id)
    if not comment.story.live:
        raise Http404("No such comment")
    return comment


def _site(request):
    """The site's comment rules (what the domain functions need of the site)."""
    return rules_for_request(request)


def _refused(request, exc: CommentRefused, *, story, form=None, parent=None):
    return render(request, "comments/form_error.html",
                  {"story": story, "form": form, "message": exc.message, "parent": parent},
                  status=exc.status)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_POST
def post(request, story_id: int):
    story = _live_story(story_id, only=_POSTING_FIELDS)
    parent = None
    if request.POST.get("parent"):
        parent = Comment.objects.filter(pk=_int(request.POST["parent"], 0), story=story).first()
        if parent is None:
            raise Http404("No such comment to reply to")
    form = CommentForm(request.POST)
    if not form.is_valid():
        # Keep what the reader typed and say what is wrong.
        return render(request, "comments/form_error.html",
                      {"story": story, "form": form, "parent": parent}, status=400)
    try:
        comment = post_comment(story, request.user, form.cleaned_data["body"], parent=parent,
                               ip=request.META.get("REMOTE_ADDR"),
                               notify=form.cleaned_data["notify"], site=_site(request))
    except CommentRefused as exc:
        return _refused(request, exc, story=story, form=form, parent=parent)
    return redirect(f"{story.url}#comment-{comment.pk}")


def discussion(request, story_id: int):
    story = _live_story(story_id)
    sort = request.GET.get("sort", "newest")
    conversation = thread(story, user=request.user, sort=sort,
                          shown=_int(request.GET.get("shown"), 20))
    state = comment_state(story, site=_site(request))
    return render(request, "comments/discussion.html", {
        "story": story, "thread": conversation, "sorts": SORT_LABELS, "comments_state": state,
        "form": CommentForm() if state != "closed" else None,
    })


@login_required
def reply(request, comment_id: int):
    """The reply form on a page of its own, so replying works without JavaScript."""
    parent = _own_visible_comment(comment_id)
    if parent.status != Comment.Status.APPROVED or parent.deleted_at:
        raise Http404("No such comment")
    return render(request, "comments/reply.html",
                  {"story": parent.story, "parent": parent, "form": CommentForm()})


@login_required
def edit(request, comment_id: int):
    comment = _own_visible_comment(comment_id)
    if comment.author_id != request.user.pk:
        return _refused(request, CommentRefused("You can only edit your own comments."),
                        story=comment.story)
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                edit_comment(comment, user=request.user, body=form.cleaned_data["body"],
                             site=_site(request))
            except CommentRefused as exc:
                return _refused(request, exc, story=comment.story)
            return redirect(f"{comment.story.url}#comment-{comment.pk}")
        status = 400
    else:
        if not can_edit(comment, request.user):
            return _refused(request, CommentRefused(
                "Comments can only be edited in the first 5 minutes."), story=comment.story)
        form, status = CommentForm(initial={"body": comment.body}), 200
    return render(request, "comments/edit.html", {"comment": comment, "form": form},
                  status=status)


@login_required
def delete(request, comment_id: int):
    comment = _own_visible_comment(comment_id)
    if comment.author_id != request.user.pk:
        return _refused(request, CommentRefused("You can only delete your own comments."),
                        story=comment.story)
    if request.method == "POST":
        delete_comment(comment, user=request.user)
        return redirect(f"{comment.story.url}#comment-{comment.pk}")
    return render(request, "comments/delete.html", {"comment": comment})


@login_required
@require_POST
def respect(request, comment_id: int):
    comment = _own_visible_comment(comment_id)
    try:
        toggle_respect(comment, user=request.user)
    except CommentRefused as exc:
        return _refused(request, exc, story=comment.story)
    return redirect(f"{comment.story.url}#comment-{comment.pk}")


@login_required
def report(request, comment_id: int):
    comment = _own_visible_comment(comment_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_comment(comment, user=request.user, reason=form.cleaned_data["reason"],
                           detail=form.cleaned_data["detail"])
        except CommentRefused as exc:
            return _refused(request, exc, story=comment.story)
        return render(request, "comments/reported.html", {"comment": comment})
    if comment.status != Comment.Status.APPROVED or comment.deleted_at:
        raise Http404("No such comment")
    return render(request, "comments/report.html", {"comment": comment, "form": form},
                  status=400 if request.method == "POST" else 200)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie or
# token of ours; the signed link itself is the credential.
def unsubscribe(request, token: str):
    comment = comment_for_token(token)
    if comment is None:
        return render(request, "comments/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        Comment.objects.filter(pk=comment.pk).update(notify_replies=False)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "comments/unsubscribe.html", {"done": True, "comment": comment})
    return render(request, "comments/unsubscribe.html", {"comment": comment})


def discussed(request):
    return render(request, "comments/discussed.html",
                  {"stories": discussed_stories.most_discussed()})


@require_GET
def discussed_json(request):
    """GET /api/discussed.json[?limit=1..20]: the most discussed stories, for apps and
    newsletters, in the shape of the readership lists."""
    limit = limit_from(request)
    if limit is None:
        return bad_request("limit must be a whole number from 1 to 20")
    rows = discussed_stories.cached_most_discussed_ids(limit)
    stories = live_stories([r[0] for r in rows])
    return list_response("most-discussed", [
        story_json(stories[i], comments_last_day=n) for i, n in rows if i in stories],
        max_age=discussed_stories.DISCUSSED_TTL_SECONDS)
