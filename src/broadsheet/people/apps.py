from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "broadsheet.people"
    verbose_name = "People"

    def ready(self):
        # Handlers import models, which load only once the app registry is ready.
        from . import signal_handlers

        signal_handlers.connect()
