"""Back up the database and the media folder together: ``backups/<UTC time>/`` with a manifest."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles import backups


class Command(BaseCommand):
    help = (
        "Write the database (pg_dump custom format, or a SQLite online backup) and a tar of MEDIA_ROOT into "
        "OUTPUT/<UTC time>/ with manifest.json (checksums, file and row counts)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(settings.BASE_DIR / "backups"),
            help="Folder that receives the backup's own timestamped folder (default: backups/ beside manage.py).",
        )

    def handle(self, *args, output, **options):
        try:
            folder = backups.create_backup(output)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backups.read_manifest(folder)
        media = manifest["media"]
        if media.get("bucket"):
            media_part = f"media in the bucket {media['bucket']}: not in this backup"
        else:
            media_part = f"{media['files']} media files ({media['bytes']} bytes)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {folder}: {manifest['database']['vendor']} database "
                f"({manifest['database']['bytes']} bytes), {media_part}, {sum(manifest['rows'].values())} rows."
            )
        )
        if media.get("bucket"):
            self.stderr.write(
                self.style.WARNING(
                    f"The photos are in the bucket {media['bucket']} (AWS_STORAGE_BUCKET_NAME): back the bucket up "
                    "with its own versioning or replication."
                )
            )
        for name in media.get("skipped", []):
            self.stderr.write(f"Skipped {name}: removed from the media folder while the backup was being written.")
