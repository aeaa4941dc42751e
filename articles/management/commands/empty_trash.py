"""Delete for good the articles that have been in the trash longer than the newsroom keeps them."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles import services


class Command(BaseCommand):
    help = "Delete for good the articles trashed more than --days days ago (default: NEWSROOM_TRASH_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep what was trashed more recently than this (default {settings.NEWSROOM_TRASH_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, days, dry_run, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be zero or more.")
        count = services.empty_trash(days=days, dry_run=dry_run)
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{count} articles would be deleted from the trash (dry run)."))
        else:
            self.stdout.write(self.style.SUCCESS(f"{count} articles deleted from the trash."))
