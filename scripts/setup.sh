#!/usr/bin/env bash
# Create .venv (if missing) and install newsgold with the given extras into it.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh test,server
# Re-running is cheap: nothing is reinstalled unless pyproject.toml or the extras changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.newsgold-installed"
want="$(sha256sum pyproject.toml | cut -c1-16) ${extras}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    spec="."
    [ -n "$extras" ] && spec=".[${extras}]"
    echo "installing newsgold${extras:+[$extras]} into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --editable "$spec"
    echo "$want" > "$stamp"
fi
