"""A request id for every request: in every log line written while answering it, and on the
error page, so a reader's "it said reference 3f9c..." leads straight to the traceback."""

from __future__ import annotations

import contextvars
import logging
import secrets
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponseServerError
from django.template import loader

_current = contextvars.ContextVar("broadsheet_request_id", default="-")


def current() -> str:
    return _current.get()


def middleware(get_response):
    def answer_with_an_id(request):
        request.request_id = secrets.token_hex(8)
        token = _current.set(request.request_id)
        try:
            return get_response(request)
        finally:
            _current.reset(token)

    return answer_with_an_id


class RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request it was written for ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


# While the database restarts or fails over, a page no cache holds cannot be made; that is
# "try again in a moment" (503 with Retry-After, which load balancers and crawlers honour),
# not a crash.
RETRY_AFTER_SECONDS = 5


def server_error(request):
    """handler500: the plain error page, with the request's id. Rendered without context
    processors: whatever failed (the database, say) must not fail the error page too."""
    request_id = getattr(request, "request_id", None) or _current.get()
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    body = loader.get_template("503.html" if unavailable else "500.html").render(
        {"request_id": request_id})
    response = HttpResponseServerError(body)
    if unavailable:
        response.status_code = 503
        response.reason_phrase = "Service Unavailable"
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["X-Request-ID"] = request_id
    response["Cache-Control"] = "no-store"
    return response
