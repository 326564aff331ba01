#!/usr/bin/env bash
# Install, migrate, load the seed data and serve the app on http://127.0.0.1:5000 (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed
echo "Serving on http://127.0.0.1:5000 — demo accounts are listed in README.md"
exec .venv/bin/flask run --host 127.0.0.1 --port 5000
