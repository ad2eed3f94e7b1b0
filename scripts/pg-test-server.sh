#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server from Debian's packages on 127.0.0.1 for the store tests and
# prints the URL to use as BOTSCOPE_TEST_PG_URL. Usage: eval "$(scripts/pg-test-server.sh)"
set -euo pipefail
port="${BOTSCOPE_TEST_PG_PORT:-54329}"
# take the first free port from there
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/botscope-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bindir/initdb" -D "$dir/data" -U botscope --auth=trust -E UTF8 >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null
echo "export BOTSCOPE_TEST_PG_URL=postgres://botscope@127.0.0.1:$port/postgres"
echo "export BOTSCOPE_TEST_PG_DIR=$dir"
