#!/usr/bin/env bash
# Install the test dependencies, lint, and run the whole suite on SQLite and on PostgreSQL,
# browser tests and the Redis (RQ worker) tests included. Starts PostgreSQL or Redis when they
# are installed here but not running; fails loudly when either, or Chromium, is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${MATCHMAKER_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export MATCHMAKER_TEST_REDIS_URL="${MATCHMAKER_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "Chromium not found at $CHROMIUM_PATH: installing Debian's chromium package"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM_PATH" ] || { echo "ERROR: Chromium is still missing at $CHROMIUM_PATH" >&2; exit 1; }

pg_ok() {
  .venv/bin/python - "$PG_URL" <<'PY' 2>/dev/null
import sys
import psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
with psycopg.connect(url, connect_timeout=5) as conn:
    conn.execute("SELECT 1")
PY
}
redis_ok() {
  .venv/bin/python - <<'PY' 2>/dev/null
import os
import redis
redis.Redis.from_url(os.environ["MATCHMAKER_TEST_REDIS_URL"], socket_connect_timeout=5).ping()
PY
}

if ! pg_ok && command -v pg_ctlcluster >/dev/null; then
  echo "PostgreSQL does not answer at $PG_URL: starting the local cluster"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  sleep 3
fi
pg_ok || { echo "ERROR: PostgreSQL is not reachable at $PG_URL (set MATCHMAKER_TEST_PG_URL)." >&2; exit 1; }

if ! redis_ok && command -v redis-server >/dev/null; then
  echo "Redis does not answer at $MATCHMAKER_TEST_REDIS_URL: starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp >/dev/null || true
  sleep 1
fi
redis_ok || { echo "ERROR: Redis is not reachable at $MATCHMAKER_TEST_REDIS_URL (set MATCHMAKER_TEST_REDIS_URL)." >&2; exit 1; }

# One test process per core (pytest-xdist); a test file stays in one process, so the fixtures a
# file shares are built once. Each process has its own database (tests/conftest.py).
WORKERS="${PYTEST_WORKERS:-auto}"

echo "== lint (ruff) =="
.venv/bin/ruff check .
echo "== test suite on SQLite =="
.venv/bin/python -m pytest -n "$WORKERS" --dist loadfile "$@"
echo "== test suite on PostgreSQL ($PG_URL) =="
TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -n "$WORKERS" --dist loadfile "$@"
