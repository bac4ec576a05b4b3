from django.apps import AppConfig

from . import signal_handlers


class PagecacheConfig(AppConfig):
    name = "broadsheet.pagecache"
    verbose_name = "Page cache"

    def ready(self):
        signal_handlers.connect()
