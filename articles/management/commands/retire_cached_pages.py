"""Start a new content generation by hand: every anonymous page stored in the cache is rendered afresh.

For after an outage of the cache's Redis: a change made then by a process that has ended since (``manage.py shell``,
an import) could not retire the stored pages, and a Redis that comes back with its data still holds them.
"""

from django.core.management.base import BaseCommand, CommandError

from articles import cache as page_cache


class Command(BaseCommand):
    help = "Retire every page stored in the anonymous-page cache (a new content generation), e.g. after a Redis outage."

    def handle(self, *args, **options):
        try:
            before = page_cache.generation_token()
            page_cache.bump_generation()
            retired = page_cache.generation_token() != before
        except Exception as error:  # noqa: BLE001 - any failure of the cache means the same to the operator
            raise CommandError(
                f"The cache could not be reached ({type(error).__name__}): nothing was retired."
            ) from error
        if not retired:
            raise CommandError("The cache could not be reached: nothing was retired. Check REDIS_URL and try again.")
        self.stdout.write(self.style.SUCCESS("Every stored page is retired: the next reader of each gets it afresh."))
