from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "broadsheet.articles"
    verbose_name = "Stories"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from . import indexing, listing, pictures_in_use, visibility

        indexing.connect()
        pictures_in_use.connect()
        visibility.connect()
        listing.connect()
