"""The moderation queue and commenter history in the Wagtail admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from broadsheet.ids import MAX_ID, query_id

from .models import Comment, ModerationAction, Report, display_name_of
from .moderation import (
    BULK_ACTIONS,
    ban_commenter,
    history,
    may_moderate,
    moderate,
    queue_filter,
    reinstate_commenter,
    suspend_commenter,
)
from .rules import CommentRefused

TABS = {
    "pending": ("Pending", Q(status=Comment.Status.PENDING)),
    "reported": ("Reported", Q(open_reports__gt=0, deleted_at__isnull=True)),
    "approved": ("Approved", Q(status=Comment.Status.APPROVED)),
    "rejected": ("Rejected", Q(status=Comment.Status.REJECTED)),
    "featured": ("Featured", Q(featured=True)),
}
ACTION_LABELS = {"approve": "Approve", "reject": "Reject", "feature": "Feature",
                 "unfeature": "Stop featuring", "dismiss": "Dismiss reports",
                 "hold": "Send back to pending"}


def _guard(request) -> None:
    if not may_moderate(request.user):
        raise PermissionDenied


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def queue(request):
    _guard(request)
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    story_id, author_id = query_id(request.GET, "story"), query_id(request.GET, "author")
    headline = request.GET.get("headline", "").strip()[:200]
    commenter_text = request.GET.get("commenter", "").strip()[:200]
    if request.method == "POST":
        action = request.POST.get("action", "")
        ids = [i for i in (_int(v) for v in request.POST.getlist("comment")) if i]
        if action not in BULK_ACTIONS:
            messages.error(request, "Choose what to do with the selected comments.")
        elif not ids:
            messages.error(request, "Select at least one comment.")
        else:
            try:
                done = moderate(Comment.objects.filter(pk__in=ids), action=action,
                                by=request.user)
            except CommentRefused as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{ACTION_LABELS[action]}: {done} comment"
                                          f"{'' if done == 1 else 's'}.")
        return redirect(request.get_full_path())
    rows = (Comment.objects.filter(TABS[tab][1], queue_filter(
                story_id=story_id, author_id=author_id, headline=headline,
                commenter=commenter_text))
            .select_related("story", "author", "author__reader_profile")
            .order_by("-created_at", "-id"))
    page = Paginator(rows, 50).get_page(request.GET.get("p"))
    reports = {}
    if tab == "reported":
        for r in Report.objects.filter(comment__in=list(page.object_list),
                                       resolved_at__isnull=True):
            reports.setdefault(r.comment_id, []).append(r)
    for c in page.object_list:
        c.open_report_list = reports.get(c.pk, [])
    counts = {key: Comment.objects.filter(q).count() for key, (_, q) in TABS.items()
              if key in ("pending", "reported")}
    return render(request, "comments/admin/queue.html", {
        "header_title": "Comment moderation", "page_title": "Comment moderation",
        "header_icon": "comment", "tab": tab, "tabs": {k: v[0] for k, v in TABS.items()},
        "counts": counts, "page": page, "actions": ACTION_LABELS,
        "story_id": story_id or "", "author_id": author_id or "",
        "headline": headline, "commenter": commenter_text,
        "filters_query": urlencode([(k, v) for k, v in (
            ("story", story_id), ("author", author_id), ("headline", headline),
            ("commenter", commenter_text)) if v]),
        "recent_actions": ModerationAction.objects.select_related(
            "moderator", "commenter", "comment")[:20],
    })


def commenter(request, user_id: int):
    _guard(request)
    person = get_object_or_404(get_user_model(), pk=user_id)
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "suspend":
                days = _int(request.POST.get("days"))
                if days is None:
                    raise CommentRefused("Give the length of the suspension in days.")
                suspend_commenter(person, by=request.user, days=days,
                                  note=request.POST.get("note", ""))
                messages.success(request, f"Suspended for {days} days.")
            elif what == "ban":
                ban_commenter(person, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, "Banned from commenting.")
            elif what == "reinstate":
                reinstate_commenter(person, by=request.user)
                messages.success(request, "Reinstated.")
            else:
                messages.error(request, "Unknown action.")
        except CommentRefused as exc:
            messages.error(request, exc.message)
        return redirect(reverse("comments_commenter", args=[person.pk]))
    record = history(person)

    return render(request, "comments/admin/commenter.html", {
        "header_title": f"Commenter: {display_name_of(person)}",
        "page_title": f"Commenter: {display_name_of(person)}", "header_icon": "user",
        "person": person, "name": display_name_of(person), **record,
    })
