from django.apps import AppConfig


class PagecacheConfig(AppConfig):
    name = "broadsheet.pagecache"
    verbose_name = "Page cache"

    def ready(self):
        # The purge API writes the edge's outbox model, which loads only once the app
        # registry is ready.
        from . import signal_handlers

        signal_handlers.connect()
