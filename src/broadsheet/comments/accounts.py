"""A reader's own account page: public display name, "download my data", "delete my
account". Sign-up, verification, sign-in and password reset are allauth's."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from broadsheet.pagecache.purge import purge, stories

from .models import DELETED_ACCOUNT, Comment, ModerationAction, Reaction, ReaderProfile, Report
from .text import clean_input


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Public display name", max_length=50, strip=True,
        help_text="Shown with your comments instead of your e-mail address.")

    def clean_display_name(self):
        name = " ".join(clean_input(self.cleaned_data["display_name"]).split())
        if len(name) < 2:
            raise forms.ValidationError("A display name needs at least 2 characters.")
        if name.casefold() == DELETED_ACCOUNT.casefold():
            raise forms.ValidationError("Choose a different display name.")
        return name


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Your password", widget=forms.PasswordInput,
                               error_messages={"required": "Enter your password to confirm."})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError("That password is not right.")
        return self.cleaned_data["password"]


@login_required
def profile(request):
    current = ReaderProfile.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid():
            ReaderProfile.objects.update_or_create(
                user=request.user, defaults={"display_name": form.cleaned_data["display_name"]})
            return redirect("reader_account")
        status = 400
    else:
        form = DisplayNameForm(initial={"display_name": current.display_name if current else ""})
        status = 200
    return render(request, "comments/account.html",
                  {"form": form, "delete_form": DeleteAccountForm(user=request.user),
                   "profile": current}, status=status)


def reader_data(user) -> dict:
    """Everything Broadsheet keeps about a reader, for "download my data"."""
    profile = ReaderProfile.objects.filter(user=user).first()
    return {
        "account": {"email": user.email, "joined": user.date_joined.isoformat(),
                    "last_login": user.last_login.isoformat() if user.last_login else None,
                    "display_name": profile.display_name if profile else ""},
        "comments": [
            {"id": c.pk, "story": c.story.title, "story_url": c.story.full_url,
             "body": c.body, "status": c.status, "created_at": c.created_at.isoformat(),
             "edited_at": c.edited_at.isoformat() if c.edited_at else None,
             "deleted_at": c.deleted_at.isoformat() if c.deleted_at else None,
             "in_reply_to": c.reply_to_id, "reply_notifications": c.notify_replies}
            for c in Comment.objects.filter(author=user).select_related("story")],
        "respect_given": [{"comment": r.comment_id, "at": r.created_at.isoformat()}
                          for r in Reaction.objects.filter(reader=user)],
        "reports_made": [{"comment": r.comment_id, "reason": r.reason, "detail": r.detail,
                          "at": r.created_at.isoformat()}
                         for r in Report.objects.filter(reporter=user)],
        "moderation": [{"action": a.kind, "at": a.created_at.isoformat(), "note": a.note}
                       for a in ModerationAction.objects.filter(commenter=user)],
    }


@login_required
def download(request):
    body = json.dumps(reader_data(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="broadsheet-data-{stamp}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.atomic
def delete_reader(user) -> None:
    """Delete the account; comments stay (replies keep their thread) as from a deleted
    account, because Comment.author is SET_NULL."""
    story_ids = set(Comment.objects.filter(author=user).values_list("story_id", flat=True))
    # Their Respect goes with them (the reactions cascade); keep the counts honest.
    Comment.objects.filter(reactions__reader=user).update(respect_count=F("respect_count") - 1)
    user.delete()
    purge(stories(story_ids))


@login_required
def delete_account(request):
    if request.method != "POST":
        return redirect("reader_account")
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        current = ReaderProfile.objects.filter(user=request.user).first()
        return render(request, "comments/account.html", {
            "form": DisplayNameForm(initial={"display_name": current.display_name
                                             if current else ""}),
            "delete_form": form, "profile": current}, status=400)
    user = request.user
    logout(request)
    delete_reader(user)
    return render(request, "comments/account_deleted.html")
