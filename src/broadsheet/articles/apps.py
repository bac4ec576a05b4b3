from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "broadsheet.articles"
    verbose_name = "Stories"

    def ready(self):
        from . import indexing, listing, visibility

        indexing.connect()
        visibility.connect()
        listing.connect()
