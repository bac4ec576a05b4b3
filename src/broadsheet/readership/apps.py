from django.apps import AppConfig

from broadsheet.ticks import register_tick


class ReadershipConfig(AppConfig):
    name = "broadsheet.readership"
    verbose_name = "Readership"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from .rollup import fold_tick, tick

        # Every host folds the views its own journal holds, every second; the site's leader
        # cleans up past the retention period.
        register_tick(fold_tick, every_host=True)
        register_tick(tick)
