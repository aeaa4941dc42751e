#!/usr/bin/env bash
# Start the scale-out layout on this machine, everything on 127.0.0.1 (free ports) under one folder:
#
#   PostgreSQL 15 primary + streaming replica (pg_basebackup -R), Redis, moto's S3 server with a public-read
#   bucket, N gunicorn app servers (each with its own empty working folder and MEDIA_ROOT, plus a task worker),
#   nginx balancing between them with the micro-cache (deploy/nginx/).
#
#   cluster/start.sh [--dir DIR] [--app-servers N] [--no-replica] [--workers W] [--seed]
#
#   --dir DIR          where everything lives (default /tmp/newsroom-cluster); must not hold a running cluster
#   --app-servers N    1 or more gunicorn servers behind nginx (default 2); the benchmark uses 1 and 2
#   --no-replica       no streaming replica (DATABASE_REPLICA_URL unset)
#   --workers W        gunicorn workers per app server (default 2), each of the deployed kind: the balanced gthread
#                      worker with 2 threads (deploy/systemd/newsroom.service; GUNICORN_CMD_ARGS overrides both)
#   --seed             run manage.py seed_demo_content (demo logins, photos in the bucket)
#
# DIR/cluster.env then holds every address (NGINX_URL, APP_URLS, DATABASE_URL, ...) and DIR/app.env the
# environment of the app servers; cluster/stop.sh [--dir DIR] stops it all and deletes DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR=/tmp/newsroom-cluster
APP_SERVERS=2
REPLICA=yes
WORKERS=2
SEED=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --app-servers) APP_SERVERS="$2"; shift 2 ;;
    --no-replica) REPLICA=""; shift ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --seed) SEED=yes; shift ;;
    *) echo "usage: $0 [--dir DIR] [--app-servers N] [--no-replica] [--workers W] [--seed]" >&2; exit 2 ;;
    esac
done

PY="${PYTHON:-$ROOT/.venv/bin/python}"
PG_BIN=/usr/lib/postgresql/15/bin
log() { echo "cluster: $*" >&2; }

if [ -e "$DIR/cluster.env" ]; then
    log "$DIR already holds a cluster: run cluster/stop.sh --dir $DIR first"
    exit 1
fi

# --- Debian packages ------------------------------------------------------------------------------------------
missing=()
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian's ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# PostgreSQL refuses to run as root; so do we for the other services where it matters.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    if id -u postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
    as_pg=(runuser -u "$pg_user" --)
else
    pg_user="$(id -un)"
fi

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
chmod 755 "$DIR"
touch "$DIR/.newsroom-cluster" # cluster/stop.sh deletes only a folder with this mark
trap 'status=$?; if [ $status -ne 0 ]; then log "start failed (logs in $DIR/*.log); stopping"; "$ROOT/cluster/stop.sh" --dir "$DIR" --keep || true; fi' EXIT

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds="$1" what="$2"
    shift 2
    for _i in $(seq 1 $((seconds * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    log "$what did not come up"
    return 1
}

# --- PostgreSQL primary and streaming replica ---------------------------------------------------------------
PG_PRIMARY_PORT="$(free_port)"
mkdir -p "$DIR/pg"
chown "$pg_user" "$DIR/pg"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$DIR/pg/primary" --username=postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/primary" -l "$DIR/pg/primary.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PRIMARY_PORT -k $DIR/pg -c wal_level=replica -c max_wal_senders=5 \
     -c hot_standby=on -c max_connections=100" >/dev/null
"$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -d postgres \
    -c "CREATE ROLE newsroom LOGIN SUPERUSER" -c "CREATE DATABASE newsroom OWNER newsroom"
DATABASE_URL="postgres://newsroom@127.0.0.1:$PG_PRIMARY_PORT/newsroom"
log "PostgreSQL primary on 127.0.0.1:$PG_PRIMARY_PORT"

DATABASE_REPLICA_URL=""
PG_REPLICA_PORT=""
if [ -n "$REPLICA" ]; then
    PG_REPLICA_PORT="$(free_port)"
    "${as_pg[@]}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$DIR/pg/replica" \
        -R -X stream -c fast >"$DIR/basebackup.log" 2>&1
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg/replica" -l "$DIR/pg/replica.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $PG_REPLICA_PORT -k $DIR/pg -c hot_standby=on" >/dev/null
    DATABASE_REPLICA_URL="postgres://newsroom@127.0.0.1:$PG_REPLICA_PORT/newsroom"
    log "PostgreSQL streaming replica on 127.0.0.1:$PG_REPLICA_PORT"
fi

# --- Redis ------------------------------------------------------------------------------------------------
REDIS_PORT="$(free_port)"
mkdir -p "$DIR/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" --save "" --appendonly no \
    --daemonize yes --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log"
wait_for 10 Redis redis-cli -p "$REDIS_PORT" ping
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
log "Redis on 127.0.0.1:$REDIS_PORT"

# --- S3: moto in server mode, one bucket anyone may read ------------------------------------------------------
S3_PORT="$(free_port)"
mkdir -p "$DIR/s3"
(cd "$DIR/s3" && exec setsid "$PY" -m moto.server -H 127.0.0.1 -p "$S3_PORT" >"$DIR/s3/moto.log" 2>&1) &
echo $! >"$DIR/s3/moto.pid"
S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
wait_for 30 "moto's S3 server" "$PY" -c "import urllib.request; urllib.request.urlopen('$S3_ENDPOINT', timeout=1)"
BUCKET=newsroom-media
export AWS_ACCESS_KEY_ID=cluster AWS_SECRET_ACCESS_KEY=cluster-secret
"$PY" - "$S3_ENDPOINT" "$BUCKET" <<'EOF'
import json, sys
import boto3
endpoint, bucket = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
EOF
log "S3 (moto) on $S3_ENDPOINT, bucket $BUCKET"

# --- the app servers' environment ----------------------------------------------------------------------------
NGINX_PORT="$(free_port)"
cat >"$DIR/app.env" <<EOF
DJANGO_SECRET_KEY=cluster-only-secret-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
DJANGO_CSRF_TRUSTED_ORIGINS=http://127.0.0.1:$NGINX_PORT
DJANGO_STATIC_ROOT=$DIR/static
DATABASE_URL=$DATABASE_URL
DATABASE_REPLICA_URL=$DATABASE_REPLICA_URL
REDIS_URL=$REDIS_URL
AWS_STORAGE_BUCKET_NAME=$BUCKET
AWS_S3_ENDPOINT_URL=$S3_ENDPOINT
AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
NEWSROOM_TASKS=database
DJANGO_BEHIND_PROXY=true
EOF
set -a
# shellcheck disable=SC1091
. "$DIR/app.env"
set +a

(cd "$ROOT" && "$PY" manage.py migrate --no-input >"$DIR/migrate.log" 2>&1)
(cd "$ROOT" && "$PY" manage.py collectstatic --no-input >"$DIR/collectstatic.log" 2>&1)
if [ -n "$SEED" ]; then
    (cd "$ROOT" && "$PY" manage.py seed_demo_content --force >"$DIR/seed.log" 2>&1)
fi

# --- app servers: gunicorn + a task worker each, from an empty working folder -------------------------------
APP_URLS=""
for i in $(seq 1 "$APP_SERVERS"); do
    name="app$i"
    port="$(free_port)"
    mkdir -p "$DIR/$name/cwd" "$DIR/$name/media"
    (
        cd "$DIR/$name/cwd"
        export DJANGO_MEDIA_ROOT="$DIR/$name/media"
        export GUNICORN_CMD_ARGS="${GUNICORN_CMD_ARGS:---worker-class newsroom.gunicorn_worker.BalancedThreadWorker --threads 2}"
        exec setsid "$ROOT/.venv/bin/gunicorn" --pythonpath "$ROOT" newsroom.wsgi:application \
            --bind "127.0.0.1:$port" --workers "$WORKERS" --graceful-timeout 20 --timeout 60 \
            --access-logfile "$DIR/$name/access.log" --error-logfile "$DIR/$name/gunicorn.log" \
            >>"$DIR/$name/gunicorn.log" 2>&1
    ) &
    echo $! >"$DIR/$name/gunicorn.pid"
    (
        cd "$DIR/$name/cwd"
        export DJANGO_MEDIA_ROOT="$DIR/$name/media"
        exec setsid "$PY" "$ROOT/manage.py" db_worker --no-reload --worker-id "$name" >"$DIR/$name/worker.log" 2>&1
    ) &
    echo $! >"$DIR/$name/worker.pid"
    echo "$port" >"$DIR/$name/port"
    APP_URLS="$APP_URLS${APP_URLS:+ }http://127.0.0.1:$port"
done
for url in $APP_URLS; do
    wait_for 60 "app server $url" "$PY" -c "import urllib.request; urllib.request.urlopen('$url/healthz', timeout=2)"
done
log "app servers: $APP_URLS"

# --- nginx: load balancer with the micro-cache ----------------------------------------------------------------
mkdir -p "$DIR/nginx/cache" "$DIR/nginx/temp"
[ "$(id -u)" -ne 0 ] || chown -R nobody "$DIR/nginx/cache" "$DIR/nginx/temp"
MICROCACHE_HTTP="$ROOT/deploy/nginx/microcache-http.conf"
MICROCACHE="$ROOT/deploy/nginx/microcache.conf"
if [ -f "$MICROCACHE_HTTP" ]; then
    sed "s#/var/cache/nginx/newsroom#$DIR/nginx/cache#" "$MICROCACHE_HTTP" >"$DIR/nginx/microcache-http.conf"
else
    log "no $MICROCACHE_HTTP: nginx runs without the micro-cache"
    : >"$DIR/nginx/microcache-http.conf"
fi
[ -f "$MICROCACHE" ] && cp "$MICROCACHE" "$DIR/nginx/microcache.conf" || : >"$DIR/nginx/microcache.conf"
upstreams=""
for url in $APP_URLS; do
    upstreams="$upstreams        server ${url#http://} max_fails=1 fail_timeout=5s;"$'\n'
done
sed -e "s#@DIR@#$DIR#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@ROOT@#$ROOT#g" "$ROOT/cluster/nginx.conf.in" |
    awk -v upstreams="$upstreams" '{ if ($0 ~ /@UPSTREAMS@/) printf "%s", upstreams; else print }' >"$DIR/nginx/nginx.conf"
"$NGINX" -t -q -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>"$DIR/nginx/test.log" || { cat "$DIR/nginx/test.log" >&2; exit 1; }
"$NGINX" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
wait_for 10 nginx "$PY" -c "import urllib.request; urllib.request.urlopen('$NGINX_URL/healthz', timeout=2)"
log "nginx on $NGINX_URL"

cat >"$DIR/cluster.env" <<EOF
NEWSROOM_CLUSTER=$DIR
NGINX_URL=$NGINX_URL
APP_URLS="$APP_URLS"
DATABASE_URL=$DATABASE_URL
DATABASE_REPLICA_URL=$DATABASE_REPLICA_URL
PG_BIN=$PG_BIN
PG_USER=$pg_user
PG_PRIMARY_DATA=$DIR/pg/primary
PG_REPLICA_DATA=${PG_REPLICA_PORT:+$DIR/pg/replica}
REDIS_URL=$REDIS_URL
S3_ENDPOINT=$S3_ENDPOINT
S3_BUCKET=$BUCKET
EOF
trap - EXIT
log "ready: $NGINX_URL (addresses in $DIR/cluster.env; stop with cluster/stop.sh --dir $DIR)"
