from django.apps import AppConfig


class MastheadConfig(AppConfig):
    name = "broadsheet.masthead"
    verbose_name = "Masthead"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from . import signal_handlers

        signal_handlers.connect()
