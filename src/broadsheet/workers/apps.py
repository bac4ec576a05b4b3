from django.apps import AppConfig

from broadsheet.ticks import register_tick


class WorkersConfig(AppConfig):
    name = "broadsheet.workers"
    verbose_name = "Background workers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Models load only once the app registry is ready, hence the import here.
        from .worker import tick

        # The leader forgets finished tasks now and then, so the queue's table stays small.
        register_tick(tick)
