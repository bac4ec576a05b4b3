from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "broadsheet.ingest"
    verbose_name = "Ingest"

    def ready(self):
        from broadsheet.ticks import register_tick

        from .late_pictures import tick

        # The scheduler's leader fetches again, when due, pictures an import could not get.
        register_tick(tick)
