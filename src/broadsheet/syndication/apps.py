from django.apps import AppConfig


class SyndicationConfig(AppConfig):
    name = "broadsheet.syndication"
    verbose_name = "Feeds and sitemaps"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
