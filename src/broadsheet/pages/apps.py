from django.apps import AppConfig

from broadsheet.assembly import assemble_with


class PagesConfig(AppConfig):
    """Page assembly: the top layer, the only one that knows every feature. It builds what
    the story, front and section pages show around their own content."""

    name = "broadsheet.pages"
    verbose_name = "Page assembly"

    def ready(self):
        # Models load only once the app registry is ready, hence the imports here.
        from broadsheet.articles.models import ArticlePage
        from broadsheet.frontpage.models import HomePage
        from broadsheet.newsletters.editions import SOURCES
        from broadsheet.readership.popular import cached_most_read_ids
        from broadsheet.sections.models import SectionPage

        from . import front, section, story

        # Briefings show Popular, which readership ranks; newsletters may not import it.
        SOURCES["popular"] = cached_most_read_ids

        assemble_with(ArticlePage, story.context_for)
        assemble_with(HomePage, front.front_page_context)
        assemble_with(SectionPage, section.context_for)
