from django.apps import AppConfig

from broadsheet.ticks import register_tick


class EdgeConfig(AppConfig):
    name = "broadsheet.edge"
    verbose_name = "Edge (HTTP caches in front)"

    def ready(self):
        # The outbox imports its model, which loads only once the app registry is ready.
        from .outbox import tick

        register_tick(tick)
