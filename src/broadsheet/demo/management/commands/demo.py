"""`broadsheet demo`: the fictional demo newsroom, loaded once into a site without stories."""

import time

from django.core.management.base import BaseCommand

from broadsheet.articles.models import ArticlePage
from broadsheet.demo.newsroom import build  # Pillow and friends only when needed


class Command(BaseCommand):
    help = ("Build the fictional demo newsroom: sections, stories, authors, pictures, comments "
            "and a week of readers. Does nothing if the site already has stories.")

    def handle(self, *args, **options):

        # `make run` calls this every time: the check must stay one cheap query.
        if ArticlePage.objects.exists():
            self.stdout.write("demo newsroom already loaded (the site has stories)")
            return

        started = time.perf_counter()
        counts = build()
        self.stdout.write(self.style.SUCCESS(
            f"Demo newsroom loaded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{n} {what}" for what, n in counts.items())))
