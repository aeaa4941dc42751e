"""Make the responsive renditions of photos that have none (photos stored before renditions, demo photos)."""

from django.core.management.base import BaseCommand

from articles import services


class Command(BaseCommand):
    help = (
        "Make the WebP and JPEG renditions (widths and card crops) of every photo that has none yet. "
        "Safe to run twice; --all makes every photo's renditions again."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--missing-only",
            dest="missing_only",
            action="store_true",
            default=True,
            help="Only photos without renditions (the default).",
        )
        group.add_argument(
            "--all", dest="missing_only", action="store_false", help="Make every photo's renditions again."
        )

    def handle(self, *args, missing_only: bool = True, verbosity: int = 1, **options):
        failed = []

        def report(photo, made, error):
            if error is not None:
                failed.append(photo)
                self.stderr.write(self.style.WARNING(f"Photo {photo.pk} ({photo.image.name}): skipped, {error}"))
            elif verbosity >= 2 or (verbosity >= 1 and made):
                self.stdout.write(f"Photo {photo.pk}: {len(made)} renditions")

        photos, renditions = services.make_missing_renditions(missing_only=missing_only, report=report)
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"{renditions} renditions made for {photos} photos."))
            if failed:
                self.stdout.write(
                    self.style.WARNING(
                        f"{len(failed)} photos were skipped (file missing or unreadable): replace their image in "
                        "the photo admin, or delete them."
                    )
                )
