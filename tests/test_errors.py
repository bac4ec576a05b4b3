"""Every 500 is logged with its traceback and a request id, which the error page shows."""

from __future__ import annotations

import logging
import re

from django.test import Client


def test_a_500_is_logged_with_its_traceback_and_the_id_the_page_shows(settings, db, caplog):
    settings.ROOT_URLCONF = "tests.boom_urls"
    caplog.set_level(logging.ERROR, logger="django.request")
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert f"<code>{request_id}</code>" in response.content.decode()
    assert response["Cache-Control"] == "no-store"

    record = next(r for r in caplog.records if r.name == "django.request")
    # The console handler the settings configure stamped the id on the record as it wrote it
    # (its filter runs while the request is answered); format it as that handler did.
    assert record.request_id == request_id
    handler = next(h for h in logging.getLogger("django.request").handlers
                   if isinstance(h, logging.StreamHandler))
    line = handler.format(record)
    assert f"[{request_id}]" in line and "/boom/" in line
    assert "Traceback" in line and "RuntimeError: the printing press jammed" in line


def test_every_request_gets_its_own_id(settings, db):
    settings.ROOT_URLCONF = "tests.boom_urls"
    client = Client(raise_request_exception=False)
    ids = {client.get("/boom/")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_database_that_is_not_there_is_a_503_to_retry_not_a_crash(settings, db):
    settings.ROOT_URLCONF = "tests.boom_urls"
    response = Client(raise_request_exception=False).get("/database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5" and response["Cache-Control"] == "no-store"
    assert b"Back in a moment" in response.content and response["X-Request-ID"].encode() in (
        response.content)
    assert Client(raise_request_exception=False).get("/boom/").status_code == 500
