"""Newsletters (issue 18): which mail backend sends, a mail service's keys, and the webhook
secret, from BROADSHEET_* variables; a bad value stops start-up naming the variable and
never showing a secret."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from broadsheet.settings.env import env_basic_auth, env_import_path, env_json_object
from tests.serving import BIN, site_env

SHOW = ("import json; from django.conf import settings as s; print(json.dumps("
        "[s.EMAIL_BACKEND, s.ANYMAIL]))")


def settings_of(tmp_path, **env: str):
    ran = subprocess.run(
        [sys.executable, "-c", SHOW], capture_output=True, text=True, timeout=120, check=True,
        env=site_env(tmp_path, DJANGO_SETTINGS_MODULE="broadsheet.settings.embedded", **env))
    return json.loads(ran.stdout)


def test_the_default_is_unchanged_and_webhooks_refuse_everyone(tmp_path):
    backend, anymail = settings_of(tmp_path)
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    # No secret given: one nobody has, so a forged bounce cannot silence a reader.
    assert anymail["WEBHOOK_SECRET"].startswith("unset:") and len(anymail["WEBHOOK_SECRET"]) > 40
    backend, _ = settings_of(tmp_path, BROADSHEET_EMAIL_HOST="smtp.example.org")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"


def test_a_mail_service_its_keys_and_the_secret(tmp_path):
    backend, anymail = settings_of(
        tmp_path, BROADSHEET_EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        BROADSHEET_ANYMAIL='{"POSTMARK_SERVER_TOKEN": "abc-123"}',
        BROADSHEET_ANYMAIL_WEBHOOK_SECRET="postmaster:0123456789abcdef")
    assert backend == "anymail.backends.postmark.EmailBackend"
    assert anymail == {"POSTMARK_SERVER_TOKEN": "abc-123",
                       "WEBHOOK_SECRET": ["postmaster:0123456789abcdef"]}


@pytest.mark.parametrize(("name", "value", "says"), [
    ("BROADSHEET_EMAIL_BACKEND", "anymail.backends.postmrk.EmailBackend", "cannot be imported"),
    ("BROADSHEET_EMAIL_BACKEND", "postmark", "cannot be imported"),
    ("BROADSHEET_ANYMAIL", '{"POSTMARK_SERVER_TOKEN": "abc-123"', "is not valid JSON"),
    ("BROADSHEET_ANYMAIL", '["abc-123"]', "must be a JSON object"),
    ("BROADSHEET_ANYMAIL_WEBHOOK_SECRET", "abc-123", "must be user:password"),
    ("BROADSHEET_ANYMAIL_WEBHOOK_SECRET", "postmaster:abc-123", "at least 16 characters"),
])
def test_a_bad_value_names_the_variable_and_hides_the_secret(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    read = {"BROADSHEET_EMAIL_BACKEND": lambda: env_import_path(name, "x"),
            "BROADSHEET_ANYMAIL": lambda: env_json_object(name),
            "BROADSHEET_ANYMAIL_WEBHOOK_SECRET": lambda: env_basic_auth(name)}[name]
    with pytest.raises(ImproperlyConfigured) as refused:
        read()
    message = str(refused.value)
    assert message.startswith(name) and says in message, message
    if name != "BROADSHEET_EMAIL_BACKEND":
        assert "abc-123" not in message


def test_a_bad_value_stops_the_console_script(tmp_path):
    ran = subprocess.run([BIN, "check"], capture_output=True, text=True, timeout=120,
                         env=site_env(tmp_path, BROADSHEET_ANYMAIL="{'single': 'quotes'}"))
    assert ran.returncode != 0
    assert "BROADSHEET_ANYMAIL is not valid JSON" in ran.stderr
    assert "single" not in ran.stderr
