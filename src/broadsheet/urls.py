from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve as serve_media
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from broadsheet.archive import views as archive_views
from broadsheet.articles import views as article_views
from broadsheet.masthead import views as masthead_views
from broadsheet.people import views as people_views
from broadsheet.readership import views as readership_views
from broadsheet.syndication import views as syndication_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("broadsheet.comments.urls")),  # before allauth: it adds accounts/you/
    path("accounts/", include("allauth.urls")),
    path("authors/<str:slug>/", people_views.author, name="author"),
    path("topics/<str:slug>/", article_views.topic, name="topic"),
    path("feeds/<str:fmt>", syndication_views.feed, name="feed"),
    path("feeds/<str:kind>/<path:key>/<str:fmt>", syndication_views.feed, name="scoped_feed"),
    path("newsletters/", include("broadsheet.newsletters.urls")),
    path("search/", archive_views.search_page, name="search"),
    path("ninjs/", include("broadsheet.exchange.urls")),
    path("robots.txt", syndication_views.robots, name="robots"),
    path("favicon.ico", masthead_views.site_icon, {"kind": "favicon"}, name="favicon"),
    path("apple-touch-icon.png", masthead_views.site_icon, {"kind": "apple-touch-icon"},
         name="apple_touch_icon"),
    path("sitemap.xml", syndication_views.sitemap_index, name="sitemap_index"),
    path("sitemap-news.xml", syndication_views.news_sitemap, name="news_sitemap"),
    path("sitemap-<str:section>.xml", syndication_views.sitemap_section, name="sitemap_section"),
    path("_/view", readership_views.beacon, name="view_beacon"),
    path("_/view.gif", readership_views.pixel, name="view_pixel"),
    path("api/popular.json", readership_views.popular_json, name="popular_json"),
    path("api/trending.json", readership_views.trending_json, name="trending_json"),
    path("privacy/readership/", readership_views.privacy_note, name="readership_privacy"),
]

# Uploaded images and their renditions. The embedded default serves them itself; a production
# deployment may put a web server or CDN in front of /media/ instead. Media on an S3-compatible
# store are linked at the store's address and never pass through here.
if settings.BROADSHEET_MEDIA_S3 is None:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", serve_media,
                               {"document_root": settings.MEDIA_ROOT}))

urlpatterns.append(path("", include(wagtail_urls)))

handler500 = "broadsheet.requestid.server_error"
