from django import forms

from .models import Newsletter


def _active():
    return Newsletter.objects.filter(active=True)


class SignupForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254, error_messages={
        "required": "Enter your e-mail address.",
        "invalid": "Enter an e-mail address like name@example.org."})
    newsletters = forms.ModelMultipleChoiceField(
        queryset=Newsletter.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Newsletters", error_messages={"required": "Choose at least one newsletter."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = _active()


class PreferencesForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(
        queryset=Newsletter.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Newsletters", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = _active()
