"""What the sign-up form on other pages (stories, sections, the reader's account) offers: the
active newsletters, in one query, and the tag the pages showing them note so that any change
to a newsletter purges them (signal_handlers.py)."""

from __future__ import annotations

from .models import Newsletter

# Noted by every page and fragment that shows the form (pagecache.dependencies.shows).
SIGNUP_FORM_TAG = "newsletters"


def offered_newsletters() -> list[Newsletter]:
    """The newsletters a reader can sign up to right now, as the form lists them."""
    return list(Newsletter.objects.filter(active=True))
