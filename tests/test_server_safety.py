"""The embedded server's data folder and state file, without a server: the folder is private, a
state file naming another program (a reused pid) signals nothing, and a missing server says where
it was looked for. The real server's side is in tests/e2e/test_server_files.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.studio import server


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def no_external(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.delenv(server.DATA_DIR_ENV, raising=False)


@pytest.fixture
def unrelated():
    """A live process that is not Label Studio, as a reused pid would be."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def forge_state(folder, pid, **extra):
    folder.mkdir(exist_ok=True)
    state = {"pid": pid, "url": "http://127.0.0.1:1", "port": 1, **extra}
    (folder / server.STATE_FILE).write_text(json.dumps(state))


def test_a_new_data_folder_and_its_credentials_are_private(tmp_path):
    folder = tmp_path / "deep" / "ls"
    assert server.private_folder(folder) == ()
    server.credentials(folder)
    assert mode(folder) == 0o700 and mode(folder / server.CREDENTIALS_FILE) == 0o600


def test_an_open_data_folder_is_tightened_and_says_so(tmp_path):
    folder = tmp_path / "ls"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = folder / server.DATABASE
    database.write_text("token inside")
    database.chmod(0o644)
    (folder / "media").mkdir()
    (notes,) = server.private_folder(folder)
    assert mode(folder) == 0o700 and mode(database) == 0o600
    assert str(folder) in notes and "0755 -> 0700" in notes and f"{server.DATABASE} 0644 -> 0600" in notes
    assert server.private_folder(folder) == ()  # nothing left to tighten, nothing said


@pytest.mark.parametrize("recorded", ["start time", "legacy"])
def test_stop_leaves_a_reused_pid_alive_and_removes_the_stale_state(tmp_path, no_external, unrelated, recorded):
    folder = tmp_path / "ls"
    # a state file of an earlier server: another start time, or (older newsgold) none at all
    forge_state(folder, unrelated.pid, **({"started": "1"} if recorded == "start time" else {}))
    result = CliRunner().invoke(cli, ["server", "--stop", "--data-dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert unrelated.poll() is None  # still running: not signalled
    assert not (folder / server.STATE_FILE).exists()
    assert f"named pid {unrelated.pid}, which is now another program" in result.output
    assert "no local Label Studio was running" in result.output


def test_status_and_start_see_a_stale_state_file(tmp_path, no_external, unrelated):
    folder = tmp_path / "ls"
    forge_state(folder, unrelated.pid, started="1", cmdline=["label-studio", "start"])
    current = server.status(folder)
    assert not current.running and "now another program" in current.notes[0]
    assert not (folder / server.STATE_FILE).exists() and unrelated.poll() is None


def test_the_state_of_a_process_matches_only_that_process(tmp_path):
    """What start records identifies the process: the same pid with another start time or command
    line is not it, and a process that exited is not alive."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        identity = server._identity(process.pid)
        state = {"pid": process.pid, **identity}
        assert server._ours(state)
        assert not server._ours({**state, "started": str(int(identity["started"]) + 1)})
        assert not server._ours({**state, "cmdline": ["label-studio", "start"]})
    finally:
        process.kill()
        process.wait()
    assert server._identity(process.pid) is None and not server._ours(state)


def test_a_dead_pid_in_the_state_file_is_cleaned_quietly(tmp_path, no_external):
    process = subprocess.Popen(["true"])
    process.wait()
    folder = tmp_path / "ls"
    forge_state(folder, process.pid, started="1")
    stopped = server.stop(folder)
    assert not stopped and stopped.notes == () and not (folder / server.STATE_FILE).exists()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"pid": "12"}'])
def test_a_damaged_state_file_is_no_server(tmp_path, no_external, content):
    folder = tmp_path / "ls"
    folder.mkdir()
    (folder / server.STATE_FILE).write_text(content)
    assert not server.stop(folder) and not (folder / server.STATE_FILE).exists()


def test_no_server_says_where_it_looked_and_how_to_point_elsewhere(tmp_path, no_external, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["status", "--project", "demo"])
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert result.exit_code == 1
    assert f"looked in the data folder {tmp_path / server.DEFAULT_DATA_DIR}, which does not exist" in error
    assert "--data-dir DIR" in error and server.DATA_DIR_ENV in error and "LABEL_STUDIO_URL" in error
    result = CliRunner().invoke(cli, ["server", "--status"])
    assert result.exit_code == 3 and f"looked in the data folder {tmp_path / server.DEFAULT_DATA_DIR}" in result.output
    with pytest.raises(NewsgoldError, match=str(tmp_path / "elsewhere")):
        server.connection(tmp_path / "elsewhere")
    assert not os.path.exists(tmp_path / server.DEFAULT_DATA_DIR)  # looking creates nothing
