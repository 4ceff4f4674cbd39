"""`annotate server --database URL`, without a database: malformed URLs and an unreachable host
are refused with one line naming the URL with its password masked, before anything starts; the
server's environment carries our database settings only. The real PostgreSQL side is in
tests/e2e/test_postgres.py."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.studio import database, server

SECRET = "s3cret-Pa55"


@pytest.fixture
def no_external(monkeypatch):
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", server.DATA_DIR_ENV, database.DATABASE_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "url, shown, says",
    [
        (f"mysql://root:{SECRET}@db:3306/ls", "mysql://root:***@db:3306/ls", "not a PostgreSQL URL (scheme 'mysql')"),
        (f"localhost:{SECRET}@x/ls", "localhost:***@x/ls", "not a PostgreSQL URL (scheme 'localhost')"),
        (f"//ls:{SECRET}@db/ls", "//ls:***@db/ls", "not a PostgreSQL URL (no scheme)"),
        (f"postgresql://:{SECRET}@db:5432/ls", "postgresql://:***@db:5432/ls", "lacks USER"),
        (f"postgresql://ls:{SECRET}@:5432/ls", "postgresql://ls:***@:5432/ls", "lacks HOST"),
        (f"postgresql://ls:{SECRET}@db:5432", "postgresql://ls:***@db:5432", "lacks DB"),
        (f"postgresql://ls:{SECRET}@db:port/ls", "postgresql://ls:***@db:port/ls", "not a host and a port number"),
        (f"postgresql://ls:{SECRET}@db/ls?sslmode=require", "postgresql://ls:***@db/ls?sslmode=require", "PGSSLMODE"),
        (f"postgresql://ls:{SECRET}/with/slash@db/ls", "postgresql://ls:***@db/ls", "percent-encode"),
    ],
)
def test_a_malformed_url_is_one_line_with_the_password_masked(tmp_path, no_external, url, shown, says):
    folder = tmp_path / "ls"
    result = CliRunner().invoke(cli, ["server", "--data-dir", str(folder), "--database", url])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: database URL {shown}") and says in line, line
    assert "postgresql://USER:PASSWORD@HOST:PORT/DB" in line and SECRET not in result.output
    assert not folder.exists()  # nothing created, nothing started


def test_an_unreachable_database_from_the_environment_is_one_line(tmp_path, no_external, monkeypatch):
    port = server.free_port()  # nothing listens there
    monkeypatch.setenv(database.DATABASE_ENV, f"postgresql://ls:{SECRET}@127.0.0.1:{port}/ls")
    folder = tmp_path / "ls"
    result = CliRunner().invoke(cli, ["server", "--data-dir", str(folder), "--port", str(server.free_port())])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: cannot reach the database postgresql://ls:***@127.0.0.1:{port}/ls: ")
    assert "Connection refused" in line and "check HOST and PORT" in line and SECRET not in line
    assert list(folder.iterdir()) == []  # no credentials, state or log: nothing started


def test_the_server_sees_only_our_database_settings():
    theirs = {
        "PATH": "/bin",
        "LABEL_STUDIO_POSTGRE_PASSWORD": "old",
        "HEARTEX_POSTGRE_HOST": "elsewhere",
        "POSTGRE_PORT": "1",
        "DJANGO_DB": "mysql",
        "LABEL_STUDIO_DATABASE_NAME": "/tmp/other.sqlite3",
    }
    pg = database.parse(f"postgres://news%40gold:{SECRET.replace('-', '%2D')}@db.example:6543/gold")
    assert database.server_environment(theirs, pg) == {
        "PATH": "/bin",
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "gold",
        "POSTGRE_USER": "news@gold",
        "POSTGRE_PASSWORD": SECRET,
        "POSTGRE_HOST": "db.example",
        "POSTGRE_PORT": "6543",
    }
    assert database.server_environment(theirs, None) == {"PATH": "/bin", "DJANGO_DB": "sqlite"}
    assert pg.masked == "postgresql://news@gold:***@db.example:6543/gold"
    assert database.parse("postgresql://u:p@h/d").port == 5432


@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgresql://u@h/d", "postgresql://u@h/d"),  # no password: nothing to hide
        ("postgresql://h:5432/d", "postgresql://h:5432/d"),
        ("postgresql://u:p@ss:w@h/d", "postgresql://u:***@h/d"),
        ("postgresql://u:p/w@h/d", "postgresql://u:***@h/d"),
        ("//u:pw@h/d", "//u:***@h/d"),
        ("u:pw@h/d", "u:***@h/d"),
    ],
)
def test_mask_hides_the_password_and_only_it(url, masked):
    assert database.mask(url) == masked
