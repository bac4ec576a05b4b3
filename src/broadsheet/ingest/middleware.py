"""Old WordPress addresses that land on the home page: /?p=N, /?page_id=N.

Wagtail's redirects answer only requests that would otherwise be a 404, but "/" with a query
string is the home page, which exists. A move-in's /?p=N links (in old e-mails, other sites,
search engines) must still reach their stories, so these are looked up before the home page
is served. Anything else on "/" is untouched and costs nothing but a dictionary check.
"""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from wagtail.contrib.redirects.middleware import get_redirect
from wagtail.contrib.redirects.models import Redirect

WORDPRESS_QUERIES = ("p", "page_id", "attachment_id", "cat", "tag")


class WordPressLinkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/" and any(k in request.GET for k in WORDPRESS_QUERIES) \
                and request.method in ("GET", "HEAD"):
            path = Redirect.normalise_path(request.get_full_path(), decode_unicode=False)
            redirect = get_redirect(request, path)
            # A draft or scheduled story's address is not given away before it is public.
            page = redirect.redirect_page if redirect is not None else None
            if redirect is not None and redirect.link and (page is None or page.live):
                response_class = (HttpResponsePermanentRedirect if redirect.is_permanent
                                  else HttpResponseRedirect)
                return response_class(redirect.link)
        return self.get_response(request)
