#!/usr/bin/env bash
# Stop everything cluster/start.sh started under DIR and delete DIR (--keep: leave the folder, e.g. for its logs).
#
#   cluster/stop.sh [--dir DIR] [--keep]
set -uo pipefail

DIR=/tmp/newsroom-cluster
KEEP=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --keep) KEEP=yes; shift ;;
    *) echo "usage: $0 [--dir DIR] [--keep]" >&2; exit 2 ;;
    esac
done
[ -d "$DIR" ] || exit 0
# Only a folder that cluster/start.sh made (it leaves a mark): a mistyped --dir must not be deleted.
if [ ! -f "$DIR/.newsroom-cluster" ]; then
    echo "cluster: $DIR has no .newsroom-cluster mark: not a cluster folder, left alone" >&2
    exit 1
fi
PG_BIN=/usr/lib/postgresql/15/bin
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    if id -u postgres >/dev/null 2>&1; then as_pg=(runuser -u postgres --); else as_pg=(runuser -u nobody --); fi
fi

# Each process was started with setsid: its id is its process group's, which holds its children (workers).
stop_group() { # stop_group PIDFILE
    local pid
    [ -f "$1" ] || return 0
    pid="$(cat "$1")"
    # A stale pid file (the folder outlived a reboot) may name someone else's process: only ours are stopped.
    grep -qas -e "$DIR" -e moto.server -e gunicorn -e db_worker "/proc/$pid/cmdline" || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for _i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

if [ -f "$DIR/nginx/nginx.pid" ]; then
    kill -QUIT "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null || true
fi
for app in "$DIR"/app*/; do
    [ -d "$app" ] || continue
    stop_group "$app/gunicorn.pid"
    stop_group "$app/worker.pid"
done
stop_group "$DIR/s3/moto.pid"
if [ -f "$DIR/redis/redis.pid" ]; then
    kill -TERM "$(cat "$DIR/redis/redis.pid")" 2>/dev/null || true
fi
for data in "$DIR/pg/replica" "$DIR/pg/primary"; do
    if [ -f "$data/postmaster.pid" ]; then
        "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
done
for _i in $(seq 1 50); do
    [ -f "$DIR/nginx/nginx.pid" ] || break
    sleep 0.1
done
[ -n "$KEEP" ] || rm -rf "$DIR"
echo "cluster: stopped${KEEP:+ (kept $DIR)}" >&2
