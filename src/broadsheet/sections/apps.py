from django.apps import AppConfig


class SectionsConfig(AppConfig):
    name = "broadsheet.sections"
    verbose_name = "Sections"
