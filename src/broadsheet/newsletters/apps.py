from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "broadsheet.newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        # Handlers import models, which load only once the app registry is ready.
        from . import signal_handlers

        signal_handlers.connect()
