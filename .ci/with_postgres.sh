#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 server:
#
#   .ci/with_postgres.sh pytest
#   .ci/with_postgres.sh sh -c 'psql "$DATABASE_URL" -c "select version()"'
#
# The cluster lives in a fresh temporary folder, listens only on 127.0.0.1 on a free port, trusts local
# connections and trades durability for speed. The command sees DATABASE_URL (a superuser role `newsroom`
# owning the database `newsroom`) plus PGHOST/PGPORT/PGUSER/PGDATABASE. On exit, also on failure or Ctrl-C,
# the server is stopped and the folder deleted; the exit status is the command's.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

PG_BIN=/usr/lib/postgresql/15/bin
log() { echo "with_postgres: $*" >&2; }

if [ ! -x "$PG_BIN/initdb" ]; then
    log "installing Debian's postgresql-15"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    # Debian's package may create and start its own "main" cluster on 5432; nothing here uses it.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15
fi

# PostgreSQL refuses to run as root: use an unprivileged system user then.
as_pg=()
tmp_parent="${TMPDIR:-/tmp}"
if [ "$(id -u)" -eq 0 ]; then
    if id -u postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
    as_pg=(runuser -u "$pg_user" --)
    tmp_parent=/tmp # reachable by that user, unlike a TMPDIR under /root
fi

tmp="$(mktemp -d "$tmp_parent/newsroom-pg.XXXXXX")"
data="$tmp/data"
pg_log="$tmp/postgres.log"

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -f "$data/postmaster.pid" ]; then
        "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null ||
            "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${#as_pg[@]}" -gt 0 ]; then
    chown "$pg_user" "$tmp"
fi

# UTF-8 ctype: pg_trgm extracts nothing from Chinese text in a C-locale database.
"${as_pg[@]}" "$PG_BIN/initdb" -D "$data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    log "initdb failed"
    exit 1
}

free_port() {
    "${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Another process may take the port between picking and binding it: try a few.
started=""
for _attempt in 1 2 3; do
    port="$(free_port)"
    if "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$pg_log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $port -k '$tmp' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null; then
        started=yes
        break
    fi
done
if [ -z "$started" ]; then
    cat "$pg_log" >&2 || true
    log "the server did not start"
    exit 1
fi

for _i in $(seq 1 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" || {
    cat "$pg_log" >&2
    log "the server is not accepting connections"
    exit 1
}

"$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE newsroom LOGIN SUPERUSER" \
    -c "CREATE DATABASE newsroom OWNER newsroom"

export DATABASE_URL="postgres://newsroom@127.0.0.1:$port/newsroom"
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=newsroom PGDATABASE=newsroom
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $data)"

set +e
"$@"
status=$?
set -e
exit "$status"
