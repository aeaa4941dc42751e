"""Backups of the whole site: the database (pg_dump's custom format, or SQLite's online backup) and the media folder
(a tar of MEDIA_ROOT), side by side in one folder with a manifest; and the restore into an empty database and an
empty media folder. Used by ``manage.py backup_site`` and ``manage.py restore_site`` (``make backup``/``restore``)."""

import hashlib
import json
import os
import shutil
import sqlite3

# pg_dump and pg_restore, called with an argument list, never through a shell.
import subprocess  # nosec B404
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import connections

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
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def row_counts(alias="default"):
    """Rows per table of every installed model (unmanaged and proxy models left out): what a restore must give."""
    counts = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        counts[meta.db_table] = model._base_manager.using(alias).count()
    return dict(sorted(counts.items()))


def create_backup(output_parent, *, alias="default", now=None):
    """Write ``<output_parent>/<UTC time>/`` with the database, the media tar and manifest.json; return the folder.

    Written under a ``.partial`` name and renamed at the end, so a folder without that suffix is always complete.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    output_parent = Path(output_parent)
    final = output_parent / stamp
    if final.exists():
        raise BackupError(f"{final} already exists")
    partial = output_parent / f"{stamp}.partial"
    partial.mkdir(parents=True)
    try:
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": stamp,
            "django": django.get_version(),
            "database": _dump_database(partial, alias),
            "media": _archive_media(partial),
            "rows": row_counts(alias),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _dump_database(folder, alias):
    database, vendor = _database(alias), _vendor(alias)
    if vendor == "postgresql":
        target = folder / POSTGRES_DUMP
        # Custom format: compressed, restorable table by table; owners and grants belong to the target server.
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], database)
    elif vendor == "sqlite":
        target = folder / SQLITE_COPY
        connections[alias].close()
        # The online backup API: a consistent copy even while the site writes (a file copy could catch half a write).
        with sqlite3.connect(database["NAME"]) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()
    else:
        raise BackupError(f"backups of a {vendor} database are not supported")
    return {"vendor": vendor, "file": target.name, "sha256": _sha256(target), "bytes": target.stat().st_size}


def _archive_media(folder):
    root = Path(settings.MEDIA_ROOT)
    files = _media_files(root)
    target = folder / MEDIA_ARCHIVE
    # Photos are already compressed: a plain tar, paths relative to MEDIA_ROOT, no owners.
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in files:
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(root)))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as stream:
                archive.addfile(info, stream)
    return {
        "file": target.name,
        "sha256": _sha256(target),
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
    }


# --- Restore -------------------------------------------------------------------------------------------------


def read_manifest(folder):
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup (no {MANIFEST})")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for part in (manifest["database"], manifest["media"]):
        file = folder / part["file"]
        if not file.is_file() or _sha256(file) != part["sha256"]:
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
    _restore_database(folder / manifest["database"]["file"], alias, replace=force)
    _restore_media(folder / manifest["media"]["file"], replace=force)
    restored = row_counts(alias)
    if restored != manifest["rows"]:
        differing = sorted(table for table in manifest["rows"] if manifest["rows"][table] != restored.get(table))
        raise BackupError(f"restored row counts differ from the backup's in: {', '.join(differing)}")
    return manifest


def _restore_database(dump, alias, *, replace):
    database, connection = _database(alias), connections[alias]
    if connection.vendor == "postgresql":
        if replace:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE")
                cursor.execute("CREATE SCHEMA public")
        connection.close()
        argv = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run([*argv, f"--dbname={database['NAME']}", str(dump)], database)
    else:
        connection.close()
        target = Path(str(database["NAME"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        # The backup API replaces the whole target database, page by page, in one transaction.
        with sqlite3.connect(dump) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()


def _restore_media(archive_path, *, replace):
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    if replace:
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    with tarfile.open(archive_path) as archive:
        # The "data" filter refuses absolute paths, "..", links out of the folder and device files.
        archive.extractall(root, filter="data")
