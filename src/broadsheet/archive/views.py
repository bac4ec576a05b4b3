from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.safestring import mark_safe

from broadsheet.people.models import Author
from broadsheet.sections.models import live_sections

from .finder import finds_anything, hits, search
from .suggest import did_you_mean

PAGE_SIZE = 20


class SearchForm(forms.Form):
    q = forms.CharField(label="Search stories", max_length=200, required=False)
    section = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    author = forms.ChoiceField(required=False)
    since = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request (sections come and go), from live_sections(): a queryset
        # ordered by path would have SQLite walk every page of the archive.
        self.sections = {s.pk: s for s in live_sections()}
        self.fields["section"].choices = [("", "All sections"),
                                          *((pk, s.title) for pk, s in self.sections.items())]
        # A plain list: a model choice field reads authors through a server-side cursor on
        # PostgreSQL, three round trips on every search.
        self.authors = {a.slug: a for a in Author.objects.order_by("name").only("name", "slug")}
        self.fields["author"].choices = [("", "Any author"),
                                         *((slug, a.name) for slug, a in self.authors.items())]

    def clean_author(self):
        return self.authors.get(self.cleaned_data["author"])

    def clean_section(self):
        pk = self.cleaned_data["section"]
        return self.sections.get(pk) if pk is not None else None


def search_page(request):
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        ids = search(data["q"], section=data["section"], author=data["author"],
                     since=data["since"], until=data["until"])
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        found = hits(list(page.object_list), data["q"])
        for hit in found:  # both are escaped text with <mark> added, in finder.mark()
            hit.title = mark_safe(hit.title)  # noqa: S308
            hit.snippet = mark_safe(hit.snippet)  # noqa: S308
        results = {"page": page, "hits": found, "total": len(ids)}
        if not ids:
            results["suggestion"] = _suggestion(request, data)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "archive/search.html", {
        "form": form, "results": results, "query_string": query.urlencode()})


def _suggestion(request, data) -> dict | None:
    """A corrected query, offered only if it finds something under the same filters."""
    corrected = did_you_mean(data["q"])
    if not corrected or not finds_anything(corrected, section=data["section"],
                                           author=data["author"], since=data["since"],
                                           until=data["until"]):
        return None
    query = request.GET.copy()
    query.pop("page", None)
    query["q"] = corrected
    return {"q": corrected, "query_string": query.urlencode()}
