"""Restore a backup made by backup_site into an empty database and an empty media folder."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles import backups


class Command(BaseCommand):
    help = (
        "Restore BACKUP (a folder written by backup_site) into this site's database and MEDIA_ROOT. Both must be "
        "empty; --force replaces what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup's folder, e.g. backups/20261129T001500Z.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that has tables and a media folder that has files (everything in them is lost).",
        )

    def handle(self, *args, backup, force, **options):
        try:
            manifest = backups.restore_backup(backup, force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        media = manifest["media"]
        if media.get("bucket"):
            media_part = f"the photos are in the bucket {media['bucket']}, which a restore does not touch"
        else:
            media_part = f"{media['files']} media files into {settings.MEDIA_ROOT}"
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {backup} (made {manifest['created_at']}): {sum(manifest['rows'].values())} rows, "
                f"{media_part}."
            )
        )
        if manifest["pending_migrations"]:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup was made by an earlier release: run manage.py migrate "
                    f"({manifest['pending_migrations']} migrations to apply) before starting the site."
                )
            )
