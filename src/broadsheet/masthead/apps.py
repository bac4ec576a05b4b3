from django.apps import AppConfig


class MastheadConfig(AppConfig):
    name = "broadsheet.masthead"
    verbose_name = "Masthead"

    def ready(self):
        from . import icons, navigation

        navigation.connect()
        icons.connect()
