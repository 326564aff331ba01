#!/usr/bin/env bash
# Install the test dependencies, lint, and run the whole suite on SQLite and on PostgreSQL,
# browser tests included. Fails loudly when PostgreSQL or Chromium is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${MATCHMAKER_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "Chromium not found at $CHROMIUM_PATH: installing Debian's chromium package"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM_PATH" ] || { echo "ERROR: Chromium is still missing at $CHROMIUM_PATH" >&2; exit 1; }

if ! .venv/bin/python - "$PG_URL" <<'PY'
import sys
import psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
with psycopg.connect(url, connect_timeout=5) as conn:
    conn.execute("SELECT 1")
PY
then
  echo "ERROR: PostgreSQL is not reachable at $PG_URL (set MATCHMAKER_TEST_PG_URL)." >&2
  exit 1
fi

echo "== lint (ruff) =="
.venv/bin/ruff check .
echo "== test suite on SQLite =="
.venv/bin/python -m pytest "$@"
echo "== test suite on PostgreSQL ($PG_URL) =="
TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "$@"
