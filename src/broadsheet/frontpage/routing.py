"""Finding the page for a URL in two queries, however deep the sections go.

Wagtail's default routing walks the tree one level per query (plus one more per level to load
the specific page type). Every page under the home page is found by its stored url_path
instead: one query for the page's id and type, one for the specific page.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from wagtail.models import Page
from wagtail.url_routing import RouteResult

from broadsheet.articles.models import ArticlePage


def route_below(home: Page, request, path_components: list[str]):
    url_path = home.url_path + "".join(f"{c}/" for c in path_components)
    depth = home.depth + len(path_components)
    if len(path_components) >= 2:
        # Two or more segments is almost always a story: try that first, in one query with
        # everything the story page shows at the top.
        story = (ArticlePage.objects.filter(url_path=url_path, depth=depth)
                 .select_related("hero_image").first())
        if story is not None:
            if not story.live:
                raise Http404
            return RouteResult(story)
    row = (Page.objects.filter(url_path=url_path, depth=depth)
           .values_list("id", "content_type_id", "live").first())
    if row is None:
        raise Http404
    page_id, content_type_id, live = row
    if not live:
        raise Http404
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        raise Http404
    page = model.objects.get(id=page_id)
    if type(page).route is not Page.route:
        # A page type with its own routing (none today) gets Wagtail's treatment.
        return page.route(request, [])
    return RouteResult(page)
