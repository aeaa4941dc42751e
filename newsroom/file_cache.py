"""The file cache of the content generation (NEWSROOM_CACHE_DIR, when REDIS_URL is unset), shared by every process of
the site on one machine: the gunicorn workers, the task worker and manage.py.

Django's file cache writes each entry as a new file of mode 0600 in a folder of mode 0700, owned by whoever writes
it. A command run as root (`sudo make restore`, `sudo manage.py retire_cached_pages`) would leave a generation the
site's own user cannot read: every page then rendered without the page cache, a traceback logged for each, until an
editor's change replaced the file. Written by root, the entries and their folder get the owner of the folder above
(NEWSROOM_CACHE_DIR, made for the site's user), as a restore's media get MEDIA_ROOT's owner.
"""

import os
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured


class SharedFileBasedCache(FileBasedCache):
    def _site_owner(self):
        """(uid, gid) of NEWSROOM_CACHE_DIR when root writes and the folder is another user's, else None."""
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            return None
        status = Path(self._dir).parent.stat()
        return None if status.st_uid == 0 else (status.st_uid, status.st_gid)

    def _createdir(self):
        try:
            super()._createdir()
        except OSError as error:  # at startup (gunicorn, and `manage.py check`, which opens every cache) or later
            raise ImproperlyConfigured(
                f"The content-generation folder {error.filename or self._dir} cannot be created or written "
                f"({error.strerror}): set NEWSROOM_CACHE_DIR to a folder the user the site runs as can write "
                "(gunicorn, the task worker and manage.py alike), or create it and give it to that user; or set "
                "REDIS_URL."
            ) from error
        owner = self._site_owner()
        if owner and (os.stat(self._dir).st_uid, os.stat(self._dir).st_gid) != owner:
            os.chown(self._dir, *owner)

    def _write_content(self, file, timeout, value):
        owner = self._site_owner()
        if owner:
            os.fchown(file.fileno(), *owner)
        super()._write_content(file, timeout, value)
