#!/usr/bin/env bash
# What the end-to-end tests need beyond Python, from Debian's packages, installed when missing:
# PostgreSQL (and its `postgres` user) for the tests on PostgreSQL, Chromium for the browser tests.
# Run by scripts/test.sh; needs root or password-less sudo to install. Without them (and not in
# CI) it says what is missing and those tests skip with the reason; in CI (CI=true) they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    missing=()
    command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
    command -v chromium >/dev/null || missing+=(chromium)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "note: not root, cannot install ${missing[*]} (apt-get install ${missing[*]}); the tests needing them skip" >&2
        [ "${CI:-}" = true ] && exit 1
    fi
    exit 0
fi

# What the e2e tests need beyond Python, from Debian's packages: in CI (CI=true) those tests fail
# rather than skip without it. Quiet; on failure the tail of apt-get's log and where the rest is.
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
apt_install() {  # apt_install PACKAGE WHAT-FOR
    if ! command -v apt-get >/dev/null; then
        echo "error: $2 needs the Debian package $1 and apt-get is not available: install it, then run the tests again" >&2
        exit 1
    fi
    echo "installing $1 for $2 ..." >&2
    local log
    log="$(mktemp -t "apt-$1.XXXXXX.log")"
    install() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" </dev/null; }
    # a fresh container has no package lists yet: update them when the first attempt fails
    if ! { install "$1" || { "${as_root[@]}" apt-get update -qq </dev/null && install "$1"; }; } >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        echo "error: apt-get could not install $1 (full log: $log)" >&2
        exit 1
    fi
}

# The e2e tests on PostgreSQL start a throwaway PostgreSQL cluster as the `postgres` user
# (initdb refuses root): install the server and that user when missing.
if ! command -v initdb >/dev/null && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    apt_install postgresql "the e2e tests on PostgreSQL"
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
fi

# The browser tests (tests/e2e/test_browser.py) drive Debian's Chromium through playwright (the
# `browser` extra scripts/test.sh installs); playwright's own browser download is never used.
if ! command -v chromium >/dev/null; then
    apt_install chromium "the browser tests"
    command -v chromium >/dev/null || { echo "error: the package chromium installed no 'chromium' on PATH" >&2; exit 1; }
    echo "installed $(chromium --version 2>/dev/null | head -n 1)" >&2
fi
