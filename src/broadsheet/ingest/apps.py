from django.apps import AppConfig

from broadsheet.ticks import register_tick


class IngestConfig(AppConfig):
    name = "broadsheet.ingest"
    verbose_name = "Ingest"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from .late_pictures import tick

        # The scheduler's leader fetches again, when due, pictures an import could not get.
        register_tick(tick)
