"""Backups of the whole site: the database (pg_dump's custom format, or SQLite's online backup) and the media folder
(a tar of MEDIA_ROOT), side by side in one folder with a manifest; and the restore into an empty database and an
empty media folder. Used by ``manage.py backup_site`` and ``manage.py restore_site`` (``make backup``/``restore``).

The manifest's row counts come from the same snapshot as the dump (a live site keeps writing meanwhile), so the
restore can check them. A restore changes nothing until it is sure to succeed: the media is extracted beside
MEDIA_ROOT and swapped in by renames, the database is replaced in one transaction (pg_restore) or one backup step
(SQLite), and the page caches are retired at the end."""

import hashlib
import json
import logging
import os
import shutil
import sqlite3

# pg_dump and pg_restore, called with an argument list, never through a shell.
import subprocess  # nosec B404
import tarfile
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connections, transaction

from articles import cache as page_cache
from newsroom.health import pending_migrations

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
MEDIA_ARCHIVE = "media.tar"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


class BackupError(Exception):
    """Why a backup or a restore cannot go on; nothing was changed when it is raised before the restore starts."""


def _database(alias="default"):
    return settings.DATABASES[alias]


def _vendor(alias="default"):
    return connections[alias].vendor  # "postgresql" or "sqlite"


def _pg_tool(name):
    """pg_dump/pg_restore of PostgreSQL 15 (the server's version) when installed, else the one on PATH."""
    if (PG_BIN / name).exists():
        return str(PG_BIN / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client-15)")
    return found


def _pg_environment(database):
    """libpq's variables for the database: the password never appears on a command line."""
    environment = dict(os.environ)
    values = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
    }
    environment.update({key: value for key, value in values.items() if value})
    for key, value in (database.get("OPTIONS") or {}).items():
        if key == "sslmode":
            environment["PGSSLMODE"] = str(value)
    return environment


def _run(argv, database):
    # Our own argument list (the tool's path, fixed options, paths we chose): no shell, nothing from a request.
    result = subprocess.run(argv, env=_pg_environment(database), capture_output=True, text=True)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root):
    """Every file under ``root``, sorted. os.walk skips a folder that vanishes while it is listed."""
    files = []
    for folder, _subfolders, names in os.walk(root):
        files.extend(Path(folder) / name for name in names)
    return sorted(path for path in files if path.is_file())


def _counted_tables():
    """The table of every installed model (unmanaged and proxy models left out)."""
    tables = set()
    for model in apps.get_models():
        meta = model._meta
        if not meta.proxy and meta.managed:
            tables.add(meta.db_table)
    return sorted(tables)


def _count_rows(cursor, quote, tables=None):
    counts = {}
    for table in _counted_tables() if tables is None else tables:
        # Table names from the models' own Meta, quoted: nothing from a request.
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608  # nosec B608
        counts[table] = cursor.fetchone()[0]
    return counts


def row_counts(alias="default", tables=None):
    """Rows per table of every installed model (or of ``tables``, those of them that exist): what a restore must
    give."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if tables is not None:
            existing = set(connection.introspection.table_names(cursor))
            tables = [table for table in tables if table in existing]
        return _count_rows(cursor, connection.ops.quote_name, tables)


def _sqlite_row_counts(path):
    """The same counts, read from a SQLite file (the backup's copy, not the live database)."""
    with closing(_sqlite_read_only(path)) as database:
        cursor = database.cursor()
        # A database not migrated to this code yet lacks the tables of later migrations: its own are counted.
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables = [table for table in _counted_tables() if table in existing]
        return _count_rows(cursor, lambda name: '"' + name.replace('"', '""') + '"', tables)


def _sqlite_read_only(path):
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def create_backup(output_parent, *, alias="default", now=None):
    """Write ``<output_parent>/<UTC time>/`` with the database, the media tar and manifest.json; return the folder.

    Written under a ``.partial`` name and renamed at the end, so a folder without that suffix is always complete.
    Only its owner may read it (mode 0700): the dump holds password hashes and session keys.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    output_parent = Path(output_parent)
    final = output_parent / stamp
    if final.exists():
        raise BackupError(f"{final} already exists")
    output_parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = output_parent / f"{stamp}.partial"
    partial.mkdir(mode=0o700)
    partial.chmod(0o700)  # whatever the umask
    try:
        database, rows = _dump_database(partial, alias)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": stamp,
            "django": django.get_version(),
            "database": database,
            "media": _archive_media(partial),
            "rows": rows,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for part in partial.iterdir():
            part.chmod(0o600)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _dump_database(folder, alias):
    """Write the database into ``folder``; return its manifest entry and the row counts of the same snapshot."""
    database, vendor = _database(alias), _vendor(alias)
    if vendor == "postgresql":
        target = folder / POSTGRES_DUMP
        connection = connections[alias]
        # One snapshot for the counts and the dump: a REPEATABLE READ transaction exports it, counts in it and
        # stays open while pg_dump reads the same snapshot (--snapshot); rows saved meanwhile are in neither.
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            rows = row_counts(alias, tables=_counted_tables())  # those that exist (see _sqlite_row_counts)
            # Custom format: compressed, restorable table by table; owners and grants belong to the target server.
            argv = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
            _run([*argv, f"--file={target}"], database)
    elif vendor == "sqlite":
        target = folder / SQLITE_COPY
        connections[alias].close()
        # The online backup API: a consistent copy even while the site writes (a file copy could catch half a write).
        with sqlite3.connect(database["NAME"]) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()
        rows = _sqlite_row_counts(target)  # from the copy: what a restore gives, whatever was saved since
    else:
        raise BackupError(f"backups of a {vendor} database are not supported")
    entry = {"vendor": vendor, "file": target.name, "sha256": _sha256(target), "bytes": target.stat().st_size}
    return entry, dict(sorted(rows.items()))


def _archive_media(folder):
    """Tar every file of MEDIA_ROOT. A file removed after it was listed (a rendition replaced, the trash emptied)
    is left out and named in the manifest's ``skipped``; it is gone from the site too."""
    root = Path(settings.MEDIA_ROOT)
    target = folder / MEDIA_ARCHIVE
    archived = size = 0
    skipped = []
    # Photos are already compressed: a plain tar, paths relative to MEDIA_ROOT, no owners.
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in _media_files(root):
            name = str(path.relative_to(root))
            try:
                stream = open(path, "rb")  # noqa: SIM115 - closed below; opened first so it cannot vanish mid-read
            except FileNotFoundError:
                skipped.append(name)
                continue
            with stream:
                # Size and times of the open file: a file replaced meanwhile is archived as it was when opened.
                info = archive.gettarinfo(arcname=name, fileobj=stream)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                archive.addfile(info, stream)
            archived += 1
            size += info.size
    entry = {"file": target.name, "sha256": _sha256(target), "files": archived, "bytes": size}
    if getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
        # The site's media are in object storage, not in MEDIA_ROOT: this backup does not hold them.
        entry["bucket"] = settings.AWS_STORAGE_BUCKET_NAME
    if skipped:
        entry["skipped"] = skipped
        entry["skipped_note"] = "removed from MEDIA_ROOT while the backup was being written"
    return entry


# --- Restore -------------------------------------------------------------------------------------------------


def read_manifest(folder):
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        if not folder.is_dir():
            raise BackupError(f"{folder} does not exist (or is not a folder): give the folder of one backup")
        backups = sorted(child for child in folder.iterdir() if (child / MANIFEST).is_file())
        if backups:  # the folder the backups are written into (BACKUP_DIR), not one of them
            raise BackupError(
                f"{folder} holds {len(backups)} backups, not one: give one of them, e.g. the latest, {backups[-1]}"
            )
        raise BackupError(f"{folder} is not a backup (no {MANIFEST})")
    damaged = BackupError(f"{path} is damaged: it is not the manifest a backup writes")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))  # not JSON, or not UTF-8: a ValueError
    except ValueError:
        raise damaged from None
    if not isinstance(manifest, dict):
        raise damaged
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    try:
        manifest["database"]["vendor"]  # noqa: B018 - read by restore_backup
        parts = [(folder / part["file"], part["sha256"]) for part in (manifest["database"], manifest["media"])]
    except (KeyError, TypeError):
        raise damaged from None
    for file, checksum in parts:
        if not file.is_file() or _sha256(file) != checksum:
            raise BackupError(f"{file} is missing or damaged (its checksum differs from the manifest)")
    return manifest


def database_is_empty(alias="default"):
    """True when the database has no tables at all (a fresh `createdb`, or a SQLite file not yet created)."""
    database = _database(alias)
    if _vendor(alias) == "sqlite" and not Path(str(database["NAME"])).exists():
        return True
    with connections[alias].cursor() as cursor:
        return not connections[alias].introspection.table_names(cursor)


def media_is_empty():
    return not _media_files(Path(settings.MEDIA_ROOT))


def restore_backup(folder, *, alias="default", force=False):
    """Restore a backup into this site's database and MEDIA_ROOT; return the manifest.

    Both must be empty unless ``force``: then the database's tables and the media folder's files are replaced.
    Nothing is changed when the restore fails: the media is extracted into a folder beside MEDIA_ROOT first, the
    database is replaced in one transaction, and only then is the new media folder renamed into place.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    vendor = _vendor(alias)
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(f"the backup holds a {manifest['database']['vendor']} database; this site uses {vendor}")
    if not force:
        if not database_is_empty(alias):
            raise BackupError("the database is not empty: restore into an empty one, or pass --force (FORCE=1)")
        if not media_is_empty():
            raise BackupError(f"{settings.MEDIA_ROOT} is not empty: use an empty folder, or pass --force (FORCE=1)")
    if force and vendor == "postgresql":
        # pg_restore --clean drops only the dump's own objects: the tables of later migrations would stay behind
        # (SQLite's file is replaced whole), and migrate would then fail on them.
        with connections[alias].cursor() as cursor:
            existing = set(connections[alias].introspection.table_names(cursor))
        later = sorted(existing & set(_counted_tables()) - set(manifest["rows"]))
        if later:
            raise BackupError(
                "the backup was made by an earlier release than this database's (it has no "
                f"{', '.join(later[:3])}{'…' if len(later) > 3 else ''}): restore it into an empty database "
                "(dropdb and createdb), then run manage.py migrate"
            )
    # A MEDIA_ROOT that is a symbolic link (the photos on another disk): the folder it names is replaced, beside
    # itself; replacing the link would move the photos onto the link's disk and leave the folder's old files behind.
    root = Path(settings.MEDIA_ROOT).resolve()
    staged = _extract_media(folder / manifest["media"]["file"], root)
    try:
        _restore_database(folder / manifest["database"]["file"], alias)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    _swap_media(staged, root)
    _retire_caches()
    # The backup's own tables: one made by an earlier release lacks the tables of later migrations.
    restored = row_counts(alias, tables=manifest["rows"])
    if restored != manifest["rows"]:
        differing = sorted(table for table in manifest["rows"] if manifest["rows"][table] != restored.get(table))
        raise BackupError(f"restored row counts differ from the backup's in: {', '.join(differing)}")
    manifest["pending_migrations"] = pending_migrations(alias)
    return manifest


def _restore_database(dump, alias):
    database, connection = _database(alias), connections[alias]
    connection.close()
    if connection.vendor == "postgresql":
        # --clean --if-exists drops the dump's objects before creating them, inside the one transaction: a restore
        # that fails (a damaged dump, a lock) rolls back and leaves the database as it was; into an empty
        # database the drops do nothing.
        argv = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean", "--if-exists"]
        argv += ["--single-transaction", "--exit-on-error", f"--dbname={database['NAME']}", str(dump)]
        _run(argv, database)
    else:
        _check_sqlite_copy(dump)
        target = Path(str(database["NAME"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        # The backup API replaces the whole target database, page by page, in one transaction.
        with sqlite3.connect(dump) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()


def _check_sqlite_copy(dump):
    """Refuse a SQLite copy that is not a sound database before anything of the site is replaced."""
    try:
        with closing(_sqlite_read_only(dump)) as database:
            result = database.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{dump} is not a usable SQLite database: {error}") from error
    if result != [("ok",)]:
        raise BackupError(f"{dump} is damaged: {'; '.join(str(row[0]) for row in result[:5])}")


def _staging_folder(root):
    """Where the new media is extracted: beside ``root``, on the same file system so that renames swap them; inside
    ``root`` when it is a mount point (which cannot be renamed)."""
    token = uuid.uuid4().hex[:12]
    if root.is_dir() and os.path.ismount(root):
        return root / f".restoring-{token}"
    return root.parent / f".{root.name}.restoring-{token}"


def _extract_media(archive_path, root):
    """Extract the archive into a new folder (see _staging_folder) and return it; ``root``'s files are untouched."""
    staged = _staging_folder(root)
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.mkdir()
    try:
        if root.is_dir():
            # The web server reads MEDIA_ROOT: the new folder gets the old one's mode.
            shutil.copymode(root, staged)
        try:
            with tarfile.open(archive_path) as archive:
                _extract_files(archive, staged)
        except (tarfile.TarError, EOFError):  # cut short, or damaged in a way its checksum did not show
            raise BackupError(f"{archive_path} cannot be read (cut short or damaged): not restored") from None
        if root.is_dir():
            # A restore run as root (sudo make restore) would leave root's files where the site's own user must write
            # renditions and delete replaced files: everything goes to MEDIA_ROOT's owner, when we may.
            status = root.stat()
            _give_to_owner(staged, status.st_uid, status.st_gid)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _extract_files(archive, folder):
    """Write the archive's files into ``folder``, refusing anything a media backup never holds: an absolute path or
    "..", a link, a device. What tarfile's "data" filter does, which Debian 12's Python (3.11.2) does not have (it
    came in 3.11.4): the files get this process's owner and default mode, not the archive's; their times are kept."""
    for member in archive:
        parts = PurePosixPath(member.name).parts
        if not (member.isfile() or member.isdir()) or not parts or parts[0] == "/" or ".." in parts:
            raise BackupError(f"the media archive holds {member.name!r}, which a backup never writes: not restored")
        target = folder.joinpath(*parts)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.extractfile(member) as source, open(target, "xb") as copy:
            shutil.copyfileobj(source, copy)
        os.utime(target, (member.mtime, member.mtime))


def _give_to_owner(folder, uid, gid):
    """Make ``folder`` and everything in it belong to uid:gid; a user who may not (not root) leaves it as it is."""
    paths = [folder]
    for parent, subfolders, names in os.walk(folder):
        paths.extend(Path(parent) / name for name in (*subfolders, *names))
    for path in paths:
        status = path.lstat()
        if (status.st_uid, status.st_gid) == (uid, gid):
            continue
        try:
            os.chown(path, uid, gid, follow_symlinks=False)
        except PermissionError:
            return


def _swap_media(staged, root):
    """Put the extracted folder in the place of ``root`` by renames; the old files are deleted only once the new
    ones are in place."""
    if not root.exists():
        staged.rename(root)
        return
    retired_name = f".replaced-{uuid.uuid4().hex[:12]}"
    if staged.parent != root:
        retired = root.parent / f".{root.name}{retired_name}"
        root.rename(retired)
        staged.rename(root)
    else:  # a mount point: move its entries aside, then the new ones in
        retired = root / retired_name
        retired.mkdir()
        for child in list(root.iterdir()):
            if child not in (retired, staged):
                child.rename(retired / child.name)
        for child in list(staged.iterdir()):
            child.rename(root / child.name)
        staged.rmdir()
    shutil.rmtree(retired, ignore_errors=True)


def clear_own_entries(cache):
    """Empty ``cache`` of the site's own entries (its key prefix). Django's ``clear()`` on Redis is a FLUSHDB: it
    would also empty whatever else shares that database (another application's keys, another site's)."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # not Redis (this process's memory, a folder): the cache is the site's alone
        cache.clear()
        return
    redis = client(write=True)
    keys = list(redis.scan_iter(match=cache.make_key("*"), count=1000))
    for start in range(0, len(keys), 1000):
        redis.delete(*keys[start : start + 1000])


def _retire_caches():
    """No signal fires during a restore: start a new content generation (every process's stored pages become
    unreachable) and empty the default cache (pages and the other values derived from the old rows)."""
    page_cache.content_changed()
    try:
        clear_own_entries(caches[page_cache.PAGE_CACHE_ALIAS])
    except Exception:
        # The generation changed already, so no page from before is served; the rest expires with its timeout.
        logger.exception("Could not clear the default cache after the restore")
