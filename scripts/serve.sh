#!/usr/bin/env bash
# The production stack: gunicorn web processes, RQ workers and the periodic-job scheduler,
# against PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), serving on PORT (default 8000).
#
#   DATABASE_URL=postgresql+psycopg://matchmaker@db:5432/matchmaker \
#   REDIS_URL=redis://cache:6379/0 SECRET_KEY=... bash scripts/serve.sh
#
# Processes (see README, "Running in production"): WEB_CONCURRENCY gunicorn workers (default
# 2 x cores + 1), one worker for the "matching" queue (it holds the matcher index in memory and
# computes the stored matches), DEFAULT_WORKERS workers for the "default" queue (default 1),
# and the scheduler. ROLE=web|worker|scheduler|all (default all) starts one kind only, for a
# machine that runs part of the stack. If any process stops, the others are stopped and the
# script exits with an error, so a supervisor (systemd, a container runtime) restarts it.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql+psycopg://user@127.0.0.1:5432/matchmaker}"
: "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379/0}"
: "${SECRET_KEY:?set SECRET_KEY to a long random value}"
export MATCHMAKER_ENV="${MATCHMAKER_ENV:-production}" FLASK_APP=wsgi JOBS_MODE=rq
PORT="${PORT:-8000}"
BIND="${BIND:-0.0.0.0}"
ROLE="${ROLE:-all}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$((2 * $(nproc) + 1))}"
DEFAULT_WORKERS="${DEFAULT_WORKERS:-1}"

source scripts/_install.sh
flask=.venv/bin/flask

# Fail loudly when a service is missing, before starting anything.
.venv/bin/python - <<'PY'
import os, sys
import redis, sqlalchemy
try:
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5).ping()
except Exception as error:
    sys.exit(f"serve.sh: Redis is not reachable at REDIS_URL ({error})")
try:
    with sqlalchemy.create_engine(os.environ["DATABASE_URL"]).connect() as conn:
        conn.exec_driver_sql("SELECT 1")
except Exception as error:
    sys.exit(f"serve.sh: the database is not reachable at DATABASE_URL ({error})")
PY

if [ "$ROLE" = all ] || [ "$ROLE" = web ]; then
  $flask db upgrade  # under an advisory lock on PostgreSQL: machines starting together wait
fi

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

if [ "$ROLE" = all ] || [ "$ROLE" = worker ]; then
  $flask jobs worker --queue matching --queue default & pids+=($!)
  for _ in $(seq 1 "$DEFAULT_WORKERS"); do
    $flask jobs worker --queue default & pids+=($!)
  done
fi
if [ "$ROLE" = all ] || [ "$ROLE" = scheduler ]; then
  $flask jobs scheduler & pids+=($!)
fi
if [ "$ROLE" = all ] || [ "$ROLE" = web ]; then
  .venv/bin/gunicorn wsgi:app --workers "$WEB_CONCURRENCY" --bind "$BIND:$PORT" \
    --worker-class gthread --threads "${WEB_THREADS:-2}" --timeout 60 --graceful-timeout 30 \
    --keep-alive "${KEEP_ALIVE:-65}" \
    --max-requests 5000 --max-requests-jitter 500 \
    --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" & pids+=($!)
fi
echo "serve.sh: $ROLE started (port $PORT); stop with Ctrl-C"
wait -n "${pids[@]}"
status=$?
echo "serve.sh: a process stopped (status $status); stopping the others" >&2
exit $(( status == 0 ? 1 : status ))
