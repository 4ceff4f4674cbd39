"""Label Studio on PostgreSQL, with two app servers over one database as a team runs behind a load
balancer: push through one, annotate through the other, push through both at once, export through
either; the database password is never shown; wrong URLs and a second database are refused with
one line and leave nothing running; open sign-up stays closed, the invite link works on both."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from newsgold.annotate import api
from newsgold.annotate.cli import cli
from newsgold.annotate.studio import server
from newsgold.annotate.studio.client import LabelStudio
from tests.e2e.test_concurrent_push import _assert_each_document_once, _documents

pytestmark = pytest.mark.e2e


@pytest.fixture
def local_only(monkeypatch):
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", server.DATA_DIR_ENV, "NEWSGOLD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def password(postgres) -> str:
    return server.db.parse(postgres).password


@pytest.fixture
def clients(pg_servers):
    running, token = pg_servers
    return [LabelStudio(one.url, token) for one in running]


def _annotate_first_span(client, task) -> tuple:
    """An annotator keeps the first predicted span of `task` and relabels nothing: the gold span."""
    region = next(r for r in task["predictions"][0]["result"] if r["type"] == "labels")
    client.create_annotation(task["id"], [dict(region, id="k1")])
    value = region["value"]
    return value["start"], value["end"], value["labels"][0]


def _exported(folder, title, out) -> dict:
    from datasets import load_from_disk

    api.export_dataset(out, project=title, data_dir=folder)
    return {
        row["id"]: {(s["start"], s["end"], s["label"]) for s in row["spans"]}
        for split in load_from_disk(str(out)).values()
        for row in split
    }


def test_two_app_servers_share_one_database(pg_servers, postgres, clients, local_only, tmp_path):
    running, _ = pg_servers
    first, second = clients
    assert running[0].database == running[1].database == server.db.parse(postgres).masked
    assert running[0].url != running[1].url

    # push through the first, annotate through the second, export through both
    api.push_documents([_documents(tmp_path / "a.jsonl", 0, 6)], "pg loop", data_dir=running[0].data_dir)
    project = second.find_project("pg loop")
    tasks = list(second.iter_tasks(project, fields="all"))
    gold = {task["data"]["newsgold_id"]: _annotate_first_span(second, task) for task in tasks[:3]}
    for n, folder in enumerate(one.data_dir for one in running):
        rows = _exported(folder, "pg loop", tmp_path / f"export-{n}")
        assert rows == {doc: {span} for doc, span in gold.items()}

    # two pushes of the same documents at once, one through each app server
    inputs = _documents(tmp_path / "b.jsonl", 100, 200)
    with ThreadPoolExecutor(2) as pool:
        reports = list(
            pool.map(
                lambda one: api.push_documents([inputs], "pg concurrent", data_dir=one.data_dir, batch_size=25), running
            )
        )
    _assert_each_document_once(first, "pg concurrent", 200, reports)
    assert sum(r.new_tasks for r in reports) >= 200, reports
    project = first.find_project("pg concurrent")
    tasks = list(first.iter_tasks(project, fields="all"))
    gold = {
        task["data"]["newsgold_id"]: _annotate_first_span(clients[n % 2], task) for n, task in enumerate(tasks[:10])
    }
    for n, folder in enumerate(one.data_dir for one in running):
        assert _exported(folder, "pg concurrent", tmp_path / f"concurrent-{n}") == {d: {s} for d, s in gold.items()}


def test_the_password_is_never_shown(pg_servers, password, local_only):
    running, _ = pg_servers
    for one in running:
        assert one.database and "***" in one.database and password not in one.database
        for name in (server.STATE_FILE, server.LOG_FILE):
            assert password not in (one.data_dir / name).read_text(errors="replace"), name
        result = CliRunner().invoke(cli, ["server", "--status", "--data-dir", str(one.data_dir)])
        assert result.exit_code == 0 and f"database {one.database}" in result.output, result.output
        assert password not in result.output
    # no process of this machine carries it on its command line (the servers get it in their environment)
    shown = [p.parent.name for p in Path("/proc").glob("[0-9]*/cmdline") if password.encode() in _read(p)]
    assert shown == []
    assert password.encode() in _read(Path(f"/proc/{running[0].pid}/environ"))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _server_cli(folder, database: str | None, *extra):
    """`annotate server` as a user runs it, the URL in $NEWSGOLD_DATABASE_URL; its output."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    env.pop("NEWSGOLD_DATABASE_URL", None)
    if database is not None:
        env["NEWSGOLD_DATABASE_URL"] = database
    done = subprocess.run(
        [str(Path(sys.executable).parent / "annotate"), "server", "--data-dir", str(folder), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    "case, change, says",
    [
        ("wrong password", lambda url: re.sub(":[^:@]*@", ":not-the-password@", url), "password authentication failed"),
        ("no such database", lambda url: url.rsplit("/", 1)[0] + "/nowhere", 'database "nowhere" does not exist'),
    ],
)
def test_a_database_that_refuses_us_is_one_line_and_nothing_runs(postgres, password, tmp_path, case, change, says):
    folder = tmp_path / "ls"
    code, output = _server_cli(folder, change(postgres), "--port", str(server.free_port()))
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert code == 1 and len(errors) == 1 and "Traceback" not in output, output
    masked = server.db.mask(change(postgres))
    assert masked in errors[0] and says in errors[0], errors[0]
    assert ("check USER and PASSWORD" if case == "wrong password" else "createdb -O newsgold nowhere") in errors[0]
    assert password not in output and "not-the-password" not in output
    assert not folder.exists() or list(folder.iterdir()) == []  # no credentials, state or log


def test_another_database_or_sqlite_is_refused_while_a_server_runs(pg_servers, postgres, password, local_only):
    running, _ = pg_servers
    folder = running[0].data_dir
    for other, named in ((postgres.rsplit("/", 1)[0] + "/elsewhere", "/elsewhere"), (None, f"SQLite in {folder}")):
        code, output = _server_cli(folder, other)
        (error,) = [line for line in output.splitlines() if line.startswith("Error: ")]
        assert code == 1 and f"runs on {running[0].database}, not on " in error and named in error, output
        assert "annotate server --stop" in error and password not in output
    assert server.status(folder).running and server.status(folder).pid == running[0].pid
    code, output = _server_cli(folder, postgres)  # the same database: reused
    assert code == 0 and running[0].url in output and password not in output, output


def test_a_data_folder_with_other_credentials_is_refused_and_stopped(pg_servers, postgres, password, tmp_path):
    folder = tmp_path / "third"
    code, output = _server_cli(folder, postgres, "--port", str(server.free_port()))
    (error,) = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert code == 1 and "another API token" in error and server.CREDENTIALS_FILE in error, output
    assert password not in output
    assert not (folder / server.STATE_FILE).exists() and not server.status(folder).running


def test_open_sign_up_stays_closed_and_the_invite_link_works_on_both(pg_servers):
    running, token = pg_servers
    invite = requests.get(f"{running[0].url}/api/invite", headers={"Authorization": f"Token {token}"}, timeout=30)
    invite_url = invite.json()["invite_url"]
    assert "token=" in invite_url

    def sign_up(base, path, email):
        with requests.Session() as browser:
            form = browser.get(f"{base}{path}", timeout=30)
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            return browser.post(
                f"{base}{path}",
                data={"csrfmiddlewaretoken": csrf, "email": email, "password": "annotator-pass-1"},
                allow_redirects=False,
                timeout=30,
            ).status_code

    for n, one in enumerate(running):
        assert sign_up(one.url, "/user/signup/", f"stranger{n}@example.com") == 403
        assert sign_up(one.url, invite_url, f"invited{n}@example.com") == 302
    users = requests.get(f"{running[1].url}/api/users", headers={"Authorization": f"Token {token}"}, timeout=30)
    emails = {user["email"] for user in users.json()}
    assert {"invited0@example.com", "invited1@example.com"} <= emails
    assert not emails & {"stranger0@example.com", "stranger1@example.com"}
