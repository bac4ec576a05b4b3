"""The newsletter sign-up form on story and section pages (issue 18): the active newsletters,
worked out only when the form's fragment is not kept, so a page made from fragments pays no
query for it, and noted on the page so a change to a newsletter purges it."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from broadsheet.newsletters.offer import SIGNUP_FORM_TAG, offered_newsletters
from broadsheet.pagecache.dependencies import shows


def signup_form_context(request) -> dict:
    def newsletters() -> list:
        shows(request, tags=[SIGNUP_FORM_TAG])
        return offered_newsletters()

    return {
        "signup_newsletters": SimpleLazyObject(newsletters),
        # Pages for readers without a session are shared by the page cache, so their form
        # carries no CSRF token (the sign-up view takes posts without one). A reader with a
        # session gets a page of their own anyway: their form carries their token, so the
        # sign-up is linked to their account. A cookie test, not the user: no query.
        "signup_with_token": bool(request is not None
                                  and settings.SESSION_COOKIE_NAME in request.COOKIES),
    }
