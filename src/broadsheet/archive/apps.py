from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "broadsheet.archive"
    verbose_name = "Archive search"
