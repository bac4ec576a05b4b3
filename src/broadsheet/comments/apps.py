from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "broadsheet.comments"
    verbose_name = "Reader comments"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from broadsheet.articles.models import add_to_teasers

        from . import signal_handlers
        from .comment_counts import with_comment_counts

        signal_handlers.connect()
        # Every teaser shows its comment count, counted in the teaser query itself.
        add_to_teasers(with_comment_counts)
