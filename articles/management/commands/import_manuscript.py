"""Import plain-text or Markdown manuscripts as drafts (see articles/manuscripts.py for the format)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from articles import services
from articles.models import Section


class Command(BaseCommand):
    help = (
        "Import manuscript files (UTF-8 or GB18030 text/Markdown) as drafts: one draft per article, companions of a "
        "package linked to their lead. Never publishes. Safe to run twice: a file imported before is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Manuscript files to import.")
        parser.add_argument("--section", help="Slug of the section for the drafts (default: the first section).")
        parser.add_argument("--user", help="Username recorded as the drafts' creator (default: nobody).")
        parser.add_argument("--dry-run", action="store_true", help="Only read and match the files; store nothing.")

    def handle(self, *args, files, section=None, user=None, dry_run=False, verbosity=1, **options):
        section_obj = None
        if section:
            section_obj = Section.objects.filter(slug=section).first()
            if section_obj is None:
                raise CommandError(f"No section with the slug {section!r}. Choose one of: {self._section_slugs()}.")
        user_obj = None
        if user:
            user_obj = get_user_model().objects.filter(username=user).first()
            if user_obj is None:
                raise CommandError(f"No user called {user!r}.")

        def read(path):
            try:
                return path.read_bytes()
            except OSError as error:
                return error

        items, unreadable = [], {}
        for path in files:
            data = read(path)
            if isinstance(data, OSError):
                unreadable[str(path)] = data.strerror or str(data)
                data = b""
            items.append((str(path), data))

        def progress(number, total, result):
            if result.filename in unreadable:
                result.failure = f"cannot read the file: {unreadable[result.filename]}"
            if verbosity >= 1:
                self.stdout.write(f"[{number}/{total}] {result.filename} ... {self._describe(result, dry_run)}")
            if verbosity >= 2:
                for note in result.notes:
                    self.stdout.write(self.style.WARNING(f"    ! {note}"))

        results = services.import_manuscripts(
            items, user=user_obj, section=section_obj, dry_run=dry_run, progress=progress
        )
        created = [result for result in results if result.status in {"created", "ready"}]
        duplicates = [result for result in results if result.status == "duplicate"]
        failed = [result for result in results if result.status == "failed"]
        verb = "would be created" if dry_run else "created"
        summary = f"{len(created)} {verb}, {len(duplicates)} skipped as duplicates, {len(failed)} failed."
        if failed and len(failed) == len(results):
            reasons = "; ".join(f"{result.filename}: {result.failure}" for result in failed)
            raise CommandError(f"Every file failed. {reasons}")
        self.stdout.write(self.style.SUCCESS(summary) if not failed else self.style.WARNING(summary))
        for result in failed:
            self.stdout.write(self.style.ERROR(f"  {result.filename}: {result.failure}"))
        if failed:  # a non-zero exit, so that a script or a cron job notices the files still to be seen to
            verb = "would be imported" if dry_run else "were imported"
            raise CommandError(f"{len(failed)} of {len(results)} files failed (named above); the others {verb}.")

    @staticmethod
    def _describe(result, dry_run):
        if result.status == "failed":
            return f"failed: {result.failure}"
        if result.status == "duplicate":
            if result.duplicate_of is not None:
                return f"skipped: already imported as draft #{result.duplicate_of.pk} “{result.duplicate_of}”"
            return f"skipped: same text as {result.duplicate_of_file}"
        if dry_run:
            drafts = result.manuscript.drafts
            return f"would create {len(drafts)} draft(s): " + " + ".join(f"“{draft.headline}”" for draft in drafts)
        return "created " + " + ".join(f"#{article.pk} “{article.headline}”" for article in result.drafts)

    @staticmethod
    def _section_slugs():
        return ", ".join(Section.objects.values_list("slug", flat=True)) or "(none: create a section first)"
