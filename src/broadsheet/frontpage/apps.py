from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FrontpageConfig(AppConfig):
    name = "broadsheet.frontpage"
    verbose_name = "Front page"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from . import signal_handlers

        signal_handlers.connect()
        post_migrate.connect(_ensure_home, sender=self, dispatch_uid="frontpage-home")


def _ensure_home(sender, **kwargs):
    from .setup import ensure_home  # models: not importable while apps.py itself loads

    ensure_home(create_root=False)
