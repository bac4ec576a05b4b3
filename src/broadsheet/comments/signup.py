"""The public display name, asked for at sign-up (allauth's ACCOUNT_SIGNUP_FORM_CLASS).

Kept apart from accounts.py: allauth imports this while building its own forms, so it must
not import allauth's forms back."""

from __future__ import annotations

from django import forms

from .accounts import DisplayNameForm
from .models import ReaderProfile


class SignupExtras(forms.Form):
    display_name = forms.CharField(
        label="Public display name", max_length=50, required=False,
        help_text="Shown with your comments instead of your e-mail address. You can change "
                  "it later.")

    def clean_display_name(self):

        raw = self.cleaned_data.get("display_name", "")
        if not raw.strip():
            return ""
        form = DisplayNameForm({"display_name": raw})
        if not form.is_valid():
            raise forms.ValidationError(form.errors["display_name"])
        return form.cleaned_data["display_name"]

    def signup(self, request, user) -> None:
        if self.cleaned_data.get("display_name"):
            ReaderProfile.objects.update_or_create(
                user=user, defaults={"display_name": self.cleaned_data["display_name"]})
