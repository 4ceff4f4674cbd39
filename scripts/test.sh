#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what the end-to-end tests need from Debian's
# packages (scripts/system.sh: PostgreSQL, Chromium), install newsgold with the test, server and
# browser extras, check the code with ruff (lint and format, configured in pyproject.toml), then
# run pytest.
# Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/system.sh || exit 1
scripts/setup.sh test,server,browser || exit 1
.venv/bin/ruff check . || { echo "error: ruff check found problems (fix them, or run .venv/bin/ruff check --fix .)" >&2; exit 1; }
.venv/bin/ruff format --check . || { echo "error: files not formatted as ruff formats them (run .venv/bin/ruff format .)" >&2; exit 1; }
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "error: pytest collected no tests; that is a failure, not a pass" >&2
    exit 1
fi
exit "$rc"
