from django.apps import AppConfig, apps


class ConsoleConfig(AppConfig):
    """The commands that run the whole site (`broadsheet serve`, `broadsheet setup`): entry
    points, at the top with the console script, free to use every app."""

    name = "broadsheet.console"
    verbose_name = "Console commands"

    def ready(self):
        # Models load only once every app is registered, hence the imports here.
        if apps.is_installed("broadsheet.comments") and apps.is_installed("broadsheet.ingest"):
            from broadsheet.comments.imported import add_imported, thread_imported
            from broadsheet.ingest.comment_writer import CommentWriter, register_comment_writer

            # Features never import each other: the WordPress import's comments reach the
            # comments app through this one join, made at the top.
            register_comment_writer(CommentWriter(add=add_imported, thread=thread_imported))
