from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "broadsheet.newsletters"
    verbose_name = "Newsletters"
