from django.apps import AppConfig


class MastheadConfig(AppConfig):
    name = "broadsheet.masthead"
    verbose_name = "Masthead"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
