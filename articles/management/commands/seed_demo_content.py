from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, ProgrammingError

from articles.demo_content import DEMO_PASSWORD, DemoContentError, seed_demo_content


class Command(BaseCommand):
    help = (
        "Fill the database with demo content: a meeting report with its experience-sharing roundup, "
        "30+ stories in every publishing state, reporters, photos, word lists and three demo logins. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. The demo logins have a published password: never on a public server.",
        )

    def handle(self, *args, force: bool = False, verbosity: int = 1, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo_content creates staff logins with a published password, so it only runs with "
                "DJANGO_DEBUG=true. On a throwaway database without DEBUG, pass --force."
            )
        try:
            report = seed_demo_content()
        except DemoContentError as error:
            raise CommandError(str(error)) from error
        except (OperationalError, ProgrammingError) as error:  # e.g. no such table
            raise CommandError(f"The database is not ready ({error}). Run `manage.py migrate` first.") from error

        if verbosity < 1:
            return
        created = ", ".join(f"{count} {kind}" for kind, count in sorted(report.created.items())) or "nothing"
        totals = ", ".join(f"{count} {kind}" for kind, count in report.totals.items())
        self.stdout.write(self.style.SUCCESS(f"Demo content ready: {totals}."))
        self.stdout.write(f"Created this run: {created}.")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(self.style.SUCCESS("Demo logins (for local use only, never on a public server):"))
        for username, role, reporter in report.logins:
            bylined = f", bylined as {reporter}" if reporter else ""
            self.stdout.write(f"  {role:<8} {username} / {DEMO_PASSWORD}{bylined}")
