from django.apps import AppConfig

from . import signal_handlers


class SyndicationConfig(AppConfig):
    name = "broadsheet.syndication"
    verbose_name = "Feeds and sitemaps"

    def ready(self):
        signal_handlers.connect()
