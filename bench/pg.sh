#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the benchmark: data in $VDB_BENCH_PGDATA (default
# /tmp/vdb-bench-pg), run as OS user postgres, TCP 127.0.0.1:$VDB_BENCH_PGPORT (default 55450)
# only, trust auth, server defaults otherwise (fsync on, synchronous_commit on).
# usage: bench/pg.sh start|stop|destroy     (exits 3 when PostgreSQL 15 is not installed)
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${VDB_BENCH_PGDATA:-/tmp/vdb-bench-pg}
PGPORT=${VDB_BENCH_PGPORT:-55450}
[ -x "$PGBIN/initdb" ] && id postgres >/dev/null 2>&1 || { echo "PostgreSQL 15 not installed"; exit 3; }
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
case "${1:-}" in
  start)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"; chown postgres: "$PGDATA"; chmod 700 "$PGDATA"
      as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
    fi
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null && exit 0   # already running
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=''" start >/dev/null ;;
  stop) as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null ;;
  destroy) as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDATA" ;;
  *) echo "usage: $0 start|stop|destroy"; exit 2 ;;
esac
