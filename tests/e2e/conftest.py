"""A real Label Studio server for the end-to-end tests: a fresh data folder, a free port on
127.0.0.1, started once per test session (the first start runs migrations, ~40 s)."""

import shutil
from pathlib import Path

import pytest

from newsgold.annotate.studio import server
from newsgold.annotate.studio.client import LabelStudio

pytestmark = pytest.mark.e2e


def _require_label_studio():
    if shutil.which("label-studio") is None:
        import sys
        from pathlib import Path

        if not (Path(sys.executable).parent / "label-studio").exists():
            pytest.fail("label-studio is not installed: install the server extra (pip install -e '.[server]')")


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    _require_label_studio()
    folder = tmp_path_factory.mktemp("labelstudio")
    running = server.start(folder, port=server.free_port())
    yield running
    server.stop(folder)


@pytest.fixture
def ls_env(ls_server, monkeypatch):
    """Point the CLI at the session's local server (and away from any external one)."""
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.setenv(server.DATA_DIR_ENV, str(ls_server.data_dir))
    return ls_server


@pytest.fixture
def ls_client(ls_server):
    token = server.credentials(ls_server.data_dir)["token"]
    return LabelStudio(ls_server.url, token)


# ---------------------------------------------------------------- PostgreSQL
# A throwaway PostgreSQL 15 cluster for the session: `initdb` refuses root, so as root it runs as
# the `postgres` user (runuser) in a temporary folder that user owns; it listens on a free port of
# 127.0.0.1 only, with password authentication, and is stopped and removed at the end. Outside CI
# a machine without PostgreSQL skips these tests with the reason; in CI (CI=true) they fail.


def in_ci() -> bool:
    """Whether the tests run in CI (CI=true, as .ci/run runs them): there a test whose tools are
    missing fails instead of skipping, since scripts/test.sh installs them (scripts/system.sh)."""
    import os

    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_unavailable(reason: str):
    if in_ci():
        pytest.fail(
            f"PostgreSQL cannot start for the e2e tests: {reason} (scripts/test.sh installs it: scripts/system.sh)",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL cannot start: {reason}")


def _pg_bin():  # -> Path | None
    import glob

    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


@pytest.fixture(scope="session")
def postgres():
    """A running cluster: yields the URL of database `newsgold` owned by role `newsgold`."""
    import os
    import subprocess
    import tempfile

    bin_dir = _pg_bin()
    if bin_dir is None:
        _pg_unavailable("initdb not found (install the Debian package postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _pg_unavailable("no `postgres` user to run initdb as (useradd --system postgres)")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="newsgold-pg-"))
    if as_user:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    import secrets

    superuser, password = secrets.token_hex(12), "pg-e2e-" + secrets.token_hex(8)
    (root / "pw").write_text(superuser)
    if as_user:
        os.chown(root / "pw", owner.pw_uid, owner.pw_gid)
    port = server.free_port()

    def run(*argv, check=True):
        done = subprocess.run(
            as_user + [str(bin_dir / argv[0]), *argv[1:]], capture_output=True, text=True, cwd=root, timeout=120
        )
        if check and done.returncode != 0:
            _pg_unavailable(f"{argv[0]} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}")
        return done

    data = root / "data"
    run(
        "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        f"--pwfile={root / 'pw'}",
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start")
    try:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", password=superuser, dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f"CREATE ROLE newsgold LOGIN PASSWORD '{password}'")
            admin.execute("CREATE DATABASE newsgold OWNER newsgold")
        yield f"postgresql://newsgold:{password}@127.0.0.1:{port}/newsgold"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_servers(postgres, tmp_path_factory):
    """Two Label Studio app servers over the one PostgreSQL database, as behind a load balancer:
    each with its own data folder holding the same credentials file, started at the same moment
    (newsgold's start lock lets one run the migrations while the other waits)."""
    from concurrent.futures import ThreadPoolExecutor

    _require_label_studio()
    folders = [tmp_path_factory.mktemp(f"ls-pg-{n}") for n in (1, 2)]
    first = server.credentials(folders[0])
    shutil.copy2(folders[0] / server.CREDENTIALS_FILE, folders[1] / server.CREDENTIALS_FILE)
    with ThreadPoolExecutor(2) as pool:
        started = [pool.submit(server.start, folder, server.free_port(), database=postgres) for folder in folders]
        try:
            running = [future.result() for future in started]
        except BaseException:
            for folder in folders:
                server.stop(folder)
            raise
    yield running, first["token"]
    for folder in folders:
        server.stop(folder)


# ---------------------------------------------------------------- Chromium (browser tests)


@pytest.fixture(scope="session")
def chromium():
    """The Chromium executable, once playwright is importable; a failure in CI, else a skip."""
    reasons = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("playwright is not installed (pip install -e '.[browser]')")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        reasons.append(
            "Chromium is not installed (apt-get install chromium; playwright's own browser download is not used)"
        )
    if reasons:
        if in_ci():
            pytest.fail(
                f"CI must run the browser tests, but {' and '.join(reasons)}: scripts/test.sh installs them (scripts/system.sh)"
            )
        pytest.skip("; ".join(reasons))
    return executable
