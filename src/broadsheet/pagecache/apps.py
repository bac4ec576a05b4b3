from django.apps import AppConfig


class PagecacheConfig(AppConfig):
    name = "broadsheet.pagecache"
    verbose_name = "Page cache"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
