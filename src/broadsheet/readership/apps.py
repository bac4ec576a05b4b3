from django.apps import AppConfig


class ReadershipConfig(AppConfig):
    name = "broadsheet.readership"
    verbose_name = "Readership"

    def ready(self):
        from broadsheet.ticks import register_tick

        from .rollup import tick

        # The scheduler's leader folds acknowledged views every second (one folder at a
        # time, so the repeat-view memory stays in one place).
        register_tick(tick)
