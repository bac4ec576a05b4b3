from django.apps import AppConfig

from broadsheet.ticks import register_tick


class NewslettersConfig(AppConfig):
    name = "broadsheet.newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        # The tick and the receivers read models, which load only once the registry is ready.
        from anymail.signals import tracking

        from . import signal_handlers
        from .bounces import on_tracking
        from .scheduled import tick

        register_tick(tick)
        # Bounces and complaints from the mail service's webhooks (urls.py).
        tracking.connect(on_tracking, dispatch_uid="broadsheet.newsletters.bounces")
        signal_handlers.connect()  # pages showing the sign-up form follow newsletter changes
