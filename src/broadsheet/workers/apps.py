from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "broadsheet.workers"
    verbose_name = "Background workers"
    default_auto_field = "django.db.models.BigAutoField"
