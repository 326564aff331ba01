# Sourced by run.sh and serve.sh: make .venv and install the project, unless the installed
# version already matches pyproject.toml (so that a second start takes seconds, not minutes).
# EXTRAS may name extras to install, e.g. EXTRAS=test.
stamp=.venv/.matchmaker-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) ${EXTRAS:-}"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing matchmaker into .venv (once; again only when pyproject.toml changes)"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
  echo "$want" > "$stamp"
fi
