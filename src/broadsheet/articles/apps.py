from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "broadsheet.articles"
    verbose_name = "Stories"

    def ready(self):
        from . import visibility

        visibility.connect()
