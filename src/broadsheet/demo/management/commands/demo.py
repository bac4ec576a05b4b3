"""`broadsheet demo`: the fictional demo newsroom, loaded once into an empty site."""

from django.core.management.base import BaseCommand

from broadsheet.demo.newsroom import already_loaded, build


class Command(BaseCommand):
    help = "Build the fictional demo newsroom (does nothing if the site already has stories)."

    def handle(self, *args, **options):
        if already_loaded():
            self.stdout.write("demo newsroom already loaded (the site has stories)")
            return
        counts = build()
        self.stdout.write("Demo newsroom loaded: " +
                          ", ".join(f"{n} {what}" for what, n in counts.items()))
