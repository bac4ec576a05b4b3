from django.apps import AppConfig

from broadsheet.ticks import register_tick


class ReadershipConfig(AppConfig):
    name = "broadsheet.readership"
    verbose_name = "Readership"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from .rollup import tick

        # The scheduler's leader folds acknowledged views every second (one folder at a
        # time, so the repeat-view memory stays in one place).
        register_tick(tick)
