from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The commands that run the whole site (`broadsheet serve`, `broadsheet setup`): entry
    points, at the top with the console script, free to use every app."""

    name = "broadsheet.console"
    verbose_name = "Console commands"
