"""The readership dashboard in the Wagtail admin, for Editors and Admins."""

from __future__ import annotations

import csv

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from wagtail.models import Page

from broadsheet.spreadsheet import cell

from . import dashboard

TABLES = {
    "series": ("start", "views", "visitors"),
    "stories": ("page_id", "title", "views", "unique_views"),
    "sections": ("section_id", "title", "views", "unique_views"),
    "referrers": ("value", "views"),
    "devices": ("value", "views"),
    "campaigns": ("value", "views"),
}


def can_see_readership(user) -> bool:
    """Editors and Admins (publishing/roles.py grants it), or any group given "Can view page
    view": a permission, not a group name, so readership needs no knowledge of the roles."""
    return user.is_active and user.has_perm("readership.view_pageview")


def _guard(request):
    if not can_see_readership(request.user):
        raise PermissionDenied


def _period(request) -> dashboard.Period:
    raw = request.GET.get("days", "7")
    if raw not in dashboard.RANGES:
        raise Http404(f"range must be one of {', '.join(dashboard.RANGES)} days")
    return dashboard.period(dashboard.RANGES[raw])


def _tables(p, page_id=None) -> dict:
    rows = dashboard.series(p, page_id=page_id)
    tables = {
        "series": rows,
        "referrers": dashboard.breakdown(p, "referrer", page_id=page_id, empty="(direct)"),
        "devices": dashboard.breakdown(p, "device", page_id=page_id, empty="(unknown)"),
        "campaigns": dashboard.breakdown(p, "utm_campaign", page_id=page_id),
    }
    if page_id is None:
        tables["stories"] = dashboard.top_stories(p)
        tables["sections"] = dashboard.top_sections(p)
    return tables


def _csv(name: str, rows: list[dict], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    columns = TABLES[name]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row[c]) for c in columns])
    return response


def _respond(request, template, context, tables, stem):
    table = request.GET.get("csv")
    if table:
        if table not in tables:
            raise Http404(f"no table {table!r}: choose one of {', '.join(tables)}")
        return _csv(table, tables[table], f"{stem}-{table}-{context['period'].days}d.csv")
    rows = tables["series"]
    return render(request, template, {
        **context, **tables, "chart": dashboard.chart(rows), "totals": dashboard.totals(rows),
        "ranges": list(dashboard.RANGES), "days": str(context["period"].days)})


def site_dashboard(request):
    _guard(request)
    p = _period(request)
    return _respond(request, "readership/admin/dashboard.html", {"period": p}, _tables(p),
                    "readership")


def story_dashboard(request, page_id: int):
    _guard(request)
    page = get_object_or_404(Page, pk=page_id).specific
    p = _period(request)
    return _respond(request, "readership/admin/story.html", {"period": p, "story": page},
                    _tables(p, page_id=page.pk), f"readership-page-{page.pk}")
