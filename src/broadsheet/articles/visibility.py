"""Which pages are behind a view restriction (password, login, groups), remembered.

Wagtail's `.public()` asks the database for the restrictions on every call, and a story page
makes several teaser lists. Restrictions change rarely, so the list of restricted paths is
kept in the shared cache and dropped whenever a restriction is saved or deleted.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from wagtail.models import PageViewRestriction

from broadsheet import derived
from broadsheet.site_paths import current_request

_KEY = "broadsheet:restricted-paths"


def restricted_paths() -> list[str]:
    # Several parts of one page ask (teaser lists, navigation); one cache read serves them.
    request = current_request()
    paths = getattr(request, "_broadsheet_restricted_paths", None)
    if paths is not None:
        return paths
    paths = derived.remembered(_KEY, lambda: sorted(
        PageViewRestriction.objects.values_list("page__path", flat=True)), None)
    if request is not None:
        request._broadsheet_restricted_paths = paths
    return paths


def restricted_q() -> Q:
    """Matches pages at or below a restricted page; matches nothing if there are none."""
    q = Q(pk__in=[])
    for path in restricted_paths():
        q |= Q(path__startswith=path)
    return q


class RestrictionsRemembered:
    """Mixin for page models: Wagtail checks a page's view restrictions before serving it,
    with two queries (the page's ancestors, then their restrictions). A page that is neither
    at or below a restricted path nor an alias (whose source's restrictions apply) has none,
    which the remembered paths answer without a query; any other page asks Wagtail."""

    def get_view_restrictions(self):
        if self.alias_of_id is None and not any(
                self.path.startswith(p) for p in restricted_paths()):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def _forget(**kwargs) -> None:
    # A reader who asked while the change committed must not put the paths from before it
    # back: a restricted page would be served to everyone (derived.py).
    derived.forget(_KEY)


def connect() -> None:
    post_save.connect(_forget, sender=PageViewRestriction, dispatch_uid="restricted-save")
    post_delete.connect(_forget, sender=PageViewRestriction, dispatch_uid="restricted-del")
