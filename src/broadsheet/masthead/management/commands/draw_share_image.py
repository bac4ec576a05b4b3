"""`broadsheet draw_share_image`: every site gets a default share image (run by `setup`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from broadsheet.masthead.share_image import ensure_default_share_images


class Command(BaseCommand):
    help = ("Draw a default share image from the site's name for every site that has none "
            "(or whose drawn one shows an old name). One an editor chose is left alone.")

    def handle(self, *args, verbosity=1, **options):
        for image in ensure_default_share_images():
            if verbosity:
                self.stdout.write(f"drew {image.title!r}")
