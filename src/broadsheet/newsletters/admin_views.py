"""Editions in the Wagtail admin: build, change, preview, test, schedule, cancel, and the
figures. Writers draft (Can add/change edition); Editors schedule and send (Can schedule and
send newsletter editions, publishing/roles.py). Every write checks its permission here, not
only in the template that shows the button."""

from __future__ import annotations

import csv

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.models import Page

from broadsheet.spreadsheet import cell

from . import editions, sending
from .models import Edition, ListActivity, Newsletter, Subscription

SEND = "newsletters.send_edition"
DRAFT = "newsletters.add_edition"
CHANGE = "newsletters.change_edition"
VIEW = "newsletters.view_edition"


def can_send(user) -> bool:
    return user.is_active and user.has_perm(SEND)


def _need(request, permission: str) -> None:
    if not (request.user.is_active and request.user.has_perm(permission)):
        raise PermissionDenied


class EditionForm(forms.ModelForm):
    class Meta:
        model = Edition
        fields = ["subject", "intro"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 4})}


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def clean_send_at(self):
        at = self.cleaned_data["send_at"]
        if at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future, or send now.")
        return at


def readers_of(newsletter: Newsletter) -> int:
    return Subscription.objects.filter(newsletter=newsletter,
                                       subscriber__confirmed_at__isnull=False).count()


def unsubscribed_since(edition: Edition, left_by_day: dict | None = None) -> int:
    """Readers who left the newsletter from the day the edition went (counts per day only).
    `left_by_day`: the newsletter's counts, read once for a table of many editions."""
    if edition.started_at is None:
        return 0
    since = timezone.localdate(edition.started_at)
    if left_by_day is not None:
        return sum(left for day, left in left_by_day.items() if day >= since)
    return ListActivity.objects.filter(
        newsletter=edition.newsletter_id, day__gte=since).aggregate(n=Sum("left"))["n"] or 0


def index(request):
    _need(request, VIEW)
    rows = Edition.objects.select_related("newsletter").order_by("-created_at")[:100]
    return render(request, "newsletters/admin/index.html", {
        "editions": rows, "can_draft": request.user.has_perm(DRAFT),
        "newsletters": Newsletter.objects.filter(active=True).exclude(
            kind=Newsletter.Kind.ALERT)})


@require_POST
def new(request):
    _need(request, DRAFT)
    newsletter = get_object_or_404(Newsletter, pk=request.POST.get("newsletter"), active=True)
    if newsletter.kind == Newsletter.Kind.ALERT:
        raise Http404("alerts are sent from a story's page")
    try:
        edition = editions.build(newsletter, user=request.user)
    except editions.NothingToSend as nothing:
        messages.error(request, f"{newsletter}: nothing to send: {nothing}.")
        return redirect("newsletter_editions")
    messages.success(request, "Edition built: check it, then send a test or schedule it.")
    return redirect("newsletter_edition", edition.pk)


def detail(request, pk: int):
    _need(request, VIEW)
    edition = get_object_or_404(Edition.objects.select_related("newsletter"), pk=pk)
    form = EditionForm(instance=edition)
    if request.method == "POST":
        _need(request, CHANGE)
        if not edition.editable:
            raise PermissionDenied
        form = EditionForm(request.POST, instance=edition)
        if form.is_valid():
            form.save()
            try:
                editions.rebuild(edition)
            except editions.NothingToSend as nothing:
                messages.error(request, f"Not rebuilt: {nothing}.")
            else:
                messages.success(request, "Saved and built again from the stories as they "
                                 "are now.")
            return redirect("newsletter_edition", edition.pk)
    return render(request, "newsletters/admin/edition.html", {
        "edition": edition, "form": form, "schedule_form": ScheduleForm(),
        "can_change": request.user.has_perm(CHANGE) and edition.editable,
        "can_send": can_send(request.user), "readers": readers_of(edition.newsletter),
        "unsubscribed_since": unsubscribed_since(edition),
        "links": list(edition.links.all()) if edition.tracked else []})


# What an e-mail may do in a browser: its own inline styles (mail clients need them) and
# pictures; no script, no frames, no forms, whatever a story's text held.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src * data:; "
               "form-action 'none'; frame-ancestors 'self'")


def preview(request, pk: int, part: str):
    _need(request, VIEW)
    edition = get_object_or_404(Edition, pk=pk)
    if part == "html":
        response = HttpResponse(sending.without_reader(edition.html))
        response["Content-Security-Policy"] = PREVIEW_CSP
        return response
    if part == "text":
        return HttpResponse(sending.without_reader(edition.text),
                            content_type="text/plain; charset=utf-8")
    raise Http404("preview html or text")


@require_POST
def send_test(request, pk: int):
    _need(request, VIEW)
    edition = get_object_or_404(Edition, pk=pk)
    if not request.user.email:
        messages.error(request, "Your account has no e-mail address to send the test to.")
    else:
        sending.send_test(edition, request.user.email)
        messages.success(request, f"Test sent to {request.user.email}.")
    return redirect("newsletter_edition", edition.pk)


@require_POST
def schedule(request, pk: int):
    _need(request, SEND)
    edition = get_object_or_404(Edition, pk=pk)
    at = None
    if "now" not in request.POST:
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Not scheduled: " + " ".join(form.errors["send_at"]))
            return redirect("newsletter_edition", edition.pk)
        at = form.cleaned_data["send_at"]
    try:
        sending.schedule(edition, user=request.user, at=at)
    except sending.NotAllowed as e:
        messages.error(request, f"Not scheduled: {e}.")
    else:
        when = timezone.localtime(at) if at else None
        messages.success(request, f"Scheduled for {when:%d %b %Y %H:%M}." if when
                         else "Sending now: the figures below fill in as it goes.")
    return redirect("newsletter_edition", edition.pk)


@require_POST
def cancel(request, pk: int):
    _need(request, SEND)
    edition = get_object_or_404(Edition, pk=pk)
    try:
        sending.cancel(edition)
    except sending.NotAllowed as e:
        messages.error(request, f"Not cancelled: {e}.")
    else:
        messages.success(request, "Cancelled: nothing was sent.")
    return redirect("newsletter_edition", edition.pk)


def figures(request, pk: int):
    """A newsletter's sends over time: a chart, a table and the same as CSV."""
    _need(request, VIEW)
    newsletter = get_object_or_404(Newsletter, pk=pk)
    sent = list(newsletter.editions.filter(status__in=[Edition.Status.SENT,
                                                      Edition.Status.SENDING])
                .annotate(clicks=Sum("links__clicks")).order_by("started_at")[:200])
    left_by_day = dict(newsletter.activity.values_list("day", "left"))
    rows = [{"edition": e, "started_at": e.started_at, "subject": e.subject,
             "recipients": e.recipients, "sent": e.sent, "deferred": e.deferred,
             "bounced": e.bounced, "complained": e.complained,
             "unsubscribed_since": unsubscribed_since(e, left_by_day),
             "opens": e.opens if e.tracked else "", "clicks": (e.clicks or 0) if e.tracked else ""}
            for e in sent]
    if request.GET.get("csv"):
        return _csv(newsletter, rows)
    return render(request, "newsletters/admin/figures.html", {
        "newsletter": newsletter, "rows": rows, "chart": chart(rows),
        "readers": readers_of(newsletter)})


FIGURES = ("started_at", "subject", "recipients", "sent", "deferred", "bounced", "complained",
           "unsubscribed_since", "opens", "clicks")


def _csv(newsletter: Newsletter, rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{newsletter.slug}-sends.csv"'
    writer = csv.writer(response)
    writer.writerow(FIGURES)
    for row in rows:
        writer.writerow([cell(row[c]) for c in FIGURES])
    return response


def chart(rows: list[dict], *, width: int = 760, height: int = 220) -> dict:
    """Bars per send, delivered, with bounces and complaints on top (server-drawn SVG)."""
    left, top, bottom_pad = 48, 12, 28
    plot_w, plot_h = width - left - 12, height - top - bottom_pad
    peak = max([r["recipients"] for r in rows] + [1])
    step = plot_w / max(len(rows), 1)
    bars = []
    for i, r in enumerate(rows):
        x = left + i * step + step * 0.15
        h_sent = r["sent"] * plot_h / peak
        h_lost = (r["bounced"] + r["complained"]) * plot_h / peak
        bars.append({"x": f"{x:.1f}", "w": f"{step * 0.7:.1f}",
                     "sent_y": f"{top + plot_h - h_sent:.1f}", "sent_h": f"{h_sent:.1f}",
                     "lost_y": f"{top + plot_h - h_sent - h_lost:.1f}",
                     "lost_h": f"{h_lost:.1f}", "row": r})
    ticks = [{"y": f"{top + plot_h - f * plot_h:.1f}", "label": round(peak * f)}
             for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "left": left, "right": left + plot_w,
            "bottom": top + plot_h, "bars": bars, "ticks": ticks, "peak": peak}


def alert(request, page_id: int):
    """Send a story as a breaking alert: a confirm step (which list, how many readers), then
    the send. Only for those who may send, and only a live story."""
    _need(request, SEND)
    story = get_object_or_404(Page, pk=page_id).specific
    if not story.live:
        raise Http404("only a live story can be sent as an alert")
    lists = list(Newsletter.objects.filter(active=True, kind=Newsletter.Kind.ALERT))
    if not lists:
        messages.error(request, "There is no active alert newsletter: add one under "
                       "Newsletters first.")
        return redirect("wagtailadmin_pages:edit", story.pk)
    chosen = lists[0]
    if request.method == "POST":
        chosen = get_object_or_404(Newsletter, pk=request.POST.get("newsletter"),
                                   kind=Newsletter.Kind.ALERT, active=True)
        if request.POST.get("confirm") == "yes":
            try:
                edition = editions.build(chosen, user=request.user, story=story,
                                         subject=request.POST.get("subject", "")[:200])
            except editions.NothingToSend as nothing:
                messages.error(request, f"Not sent: {nothing}.")
                return redirect("wagtailadmin_pages:edit", story.pk)
            sending.schedule(edition, user=request.user)
            messages.success(request, f"Alert sending to {readers_of(chosen)} readers.")
            return redirect("newsletter_edition", edition.pk)
    return render(request, "newsletters/admin/alert.html", {
        "story": story, "lists": [(n, readers_of(n)) for n in lists], "chosen": chosen,
        "subject": f"Breaking: {story.title}"[:200]})
