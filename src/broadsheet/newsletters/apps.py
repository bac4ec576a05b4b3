from django.apps import AppConfig

from broadsheet.ticks import register_tick


class NewslettersConfig(AppConfig):
    name = "broadsheet.newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        # The tick reads models, which load only once the app registry is ready.
        from .scheduled import tick

        register_tick(tick)
