# Sourced by .ci/run: a throwaway PostgreSQL cluster for the class database's tests. Installs Debian's postgresql
# when its binaries are missing, starts a cluster on a free loopback port (as the postgres user when run as root:
# initdb refuses root), creates a database, exports HWLAB_TEST_POSTGRES_URL, and stops the cluster on exit (trap).
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql > /dev/null
fi
PG_BIN=$(pg_bin)
PG_DIR=$(mktemp -d /tmp/hwlab-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres > /dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
[ "$(id -u)" = 0 ] && { id postgres > /dev/null 2>&1 || useradd --system --no-create-home postgres; chown postgres "$PG_DIR"; }
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U hwlab > /dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start > /dev/null
stop_postgres() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1; rm -rf "$PG_DIR"; }
trap stop_postgres EXIT
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U hwlab hwlab_test
export HWLAB_TEST_POSTGRES_URL="postgresql+psycopg://hwlab@127.0.0.1:$PG_PORT/hwlab_test"
