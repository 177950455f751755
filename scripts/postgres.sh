#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for development and CI, from Debian's packages.
#
# The cluster lives in .cache/pg/ (git-ignored), runs as the `postgres` OS user when started by root,
# trusts local connections (no password: it listens on 127.0.0.1 only) and runs
# with fsync=off, which is fine for tests and nothing else.
#
#   scripts/postgres.sh start    install (apt) if needed, initdb once, start, create otklik_test, print the URL
#   scripts/postgres.sh stop     stop the cluster started here
#   scripts/postgres.sh status   exit 0 and print the URL when it answers, 3 otherwise
#   scripts/postgres.sh url      print the SQLAlchemy URL
#   scripts/postgres.sh reset    stop and delete the cluster
#
# Environment: PGPORT (5432), PG_DATA_DIR (.cache/pg), PG_DATABASE (otklik_test).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PGPORT="${PGPORT:-5432}"
PG_HOME="${PG_DATA_DIR:-$ROOT/.cache/pg}"
DATA="$PG_HOME/data"
SOCK="$PG_HOME/run"
LOG="$PG_HOME/postgres.log"
DB="${PG_DATABASE:-otklik_test}"
URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/$DB"

log() { echo "postgres.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# PostgreSQL refuses to run as root: as root we switch to the `postgres` OS user,
# anyone else runs the cluster as themselves.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install_if_missing() {
    if [[ -x "$PG_BIN/initdb" ]]; then
        return 0
    fi
    [[ "$(id -u)" -eq 0 ]] || die "$PG_BIN/initdb is missing and installing it needs root (apt-get install -y postgresql)"
    log "installing PostgreSQL $PG_VERSION from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "postgresql-$PG_VERSION" postgresql-client
    [[ -x "$PG_BIN/initdb" ]] || die "apt-get finished but $PG_BIN/initdb is still missing"
    # Debian's package starts its own cluster on 5432; ours must own the port.
    if command -v pg_lsclusters >/dev/null \
        && pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" && $4 ~ /online/ {f=1} END {exit !f}'; then
        log "stopping the cluster Debian's package started ($PG_VERSION/main)"
        pg_ctlcluster "$PG_VERSION" main stop
    fi
}

prepare_dirs() {
    mkdir -p "$PG_HOME" "$SOCK"
    chmod 700 "$PG_HOME"
    [[ "$(id -u)" -eq 0 ]] || return 0
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' does not exist (it comes with the postgresql package)"
    chown postgres:postgres "$PG_HOME" "$SOCK"
    # The postgres user must be able to walk down to the cluster folder.
    local dir="$PG_HOME"
    while dir="$(dirname "$dir")" && [[ "$dir" != "/" ]]; do
        if ! as_pg test -x "$dir"; then
            chmod o+x "$dir" || die "postgres cannot enter $dir"
        fi
    done
}

init_cluster() {
    if [[ -f "$DATA/PG_VERSION" ]]; then
        return 0
    fi
    log "initialising a cluster in $DATA"
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_HOME/initdb.log" 2>&1 \
        || { cat "$PG_HOME/initdb.log" >&2; die "initdb failed"; }
}

answers() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres 2>/dev/null
}

running_here() {
    [[ -f "$DATA/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

ensure_database() {
    local exists
    exists="$(as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'")" || die "cannot query the cluster on port $PGPORT"
    if [[ "$exists" != "1" ]]; then
        as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres -E UTF8 -T template0 "$DB" \
            || die "createdb $DB failed"
        log "created database $DB"
    fi
}

start() {
    # stdout carries only the URL (callers capture it); everything else goes to stderr.
    exec 3>&1 1>&2
    install_if_missing
    prepare_dirs
    if running_here; then
        answers || die "the cluster in $DATA runs but does not answer on 127.0.0.1:$PGPORT"
        ensure_database
        log "already running"
        echo "$URL" >&3
        return 0
    fi
    if answers; then
        die "another PostgreSQL already listens on 127.0.0.1:$PGPORT; stop it or set PGPORT"
    fi
    init_cluster
    log "starting on 127.0.0.1:$PGPORT (log: $LOG)"
    touch "$LOG"
    [[ "$(id -u)" -ne 0 ]] || chown postgres:postgres "$LOG"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 3>&- || { tail -n 30 "$LOG" >&2; die "pg_ctl start failed"; }
    answers || { tail -n 30 "$LOG" >&2; die "started but does not answer on 127.0.0.1:$PGPORT"; }
    ensure_database
    log "ready"
    echo "$URL" >&3
}

stop() {
    if ! running_here; then
        log "not running"
        return 0
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -w -t 60 -m fast stop >/dev/null || die "pg_ctl stop failed"
    log "stopped"
}

status() {
    if running_here && answers; then
        echo "running: $URL"
        return 0
    fi
    echo "not running"
    return 3
}

reset() {
    stop
    rm -rf "$PG_HOME"
    log "removed $PG_HOME"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) echo "$URL" ;;
    reset) reset ;;
    *) echo "usage: $0 start|stop|status|url|reset" >&2; exit 2 ;;
esac
