#!/usr/bin/env bash
# Install, migrate, load the seed data and serve the app on http://127.0.0.1:5000 (SQLite).
# Background work (match computation, housekeeping) runs in a thread of this process; the
# production stack with gunicorn, RQ workers and PostgreSQL is scripts/serve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed --if-changed
echo "Serving on http://127.0.0.1:5000 — demo accounts are listed in README.md"
exec .venv/bin/flask run --host 127.0.0.1 --port 5000
