from django.core.management.base import BaseCommand, CommandError

from articles import services


class Command(BaseCommand):
    help = (
        "Rebuild the public search index from every published (and scheduled) article and its experience entries. "
        "Safe to run twice: the index is replaced in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Articles read and indexed per batch (default 500)."
        )

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        verbosity = options["verbosity"]

        def progress(done, total):
            if verbosity >= 1:
                width = 30
                filled = width * done // total if total else width
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
                self.stdout.flush()

        count = services.rebuild_search_index(batch_size=batch_size, progress=progress)
        if verbosity >= 1 and count:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {count} articles."))
