"""The real embedded server's files are its owner's only, and `--stop` ends exactly the Label
Studio it started: a data folder left open by an older newsgold (0755, database 0644) is tightened
on start and the start says so; everything Label Studio writes is created under umask 077."""

import stat
import time

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.studio import server

pytestmark = pytest.mark.e2e


def mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_data_folder_is_private_and_stop_ends_only_our_server(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    folder, port = tmp_path / "ls", server.free_port()
    first = server.start(folder, port=port)
    try:
        assert first.notes == () and mode(folder) == 0o700
        assert (folder / server.DATABASE).exists()
        opened = [p for p in folder.rglob("*") if not p.is_symlink() and mode(p) & 0o077]
        assert opened == [], [f"{p} {mode(p):04o}" for p in opened]
        state = server._state(folder)
        assert state["started"] and any("label-studio" in word for word in state["cmdline"])
    finally:
        assert server.stop(folder)
    assert server._identity(first.pid) is None  # really ended

    # as an older newsgold left it: readable by every user of the machine
    folder.chmod(0o755)
    (folder / server.DATABASE).chmod(0o644)
    result = CliRunner().invoke(cli, ["server", "--data-dir", str(folder), "--port", str(port)])
    try:
        assert result.exit_code == 0, result.output
        # not a terminal: the wait shows as a line now and then instead of a bar
        assert "starting Label Studio: " in result.output and "migrations" in result.output
        assert (
            f"note: made the data folder {folder} private (ls 0755 -> 0700, {server.DATABASE} 0644 -> 0600)"
        ) in result.output
        assert mode(folder) == 0o700 and mode(folder / server.DATABASE) == 0o600
        running = server.status(folder)
        assert running.running
    finally:
        result = CliRunner().invoke(cli, ["server", "--stop", "--data-dir", str(folder)])
    assert result.exit_code == 0 and "stopped the local Label Studio" in result.output
    deadline = time.monotonic() + 10
    while server._identity(running.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server._identity(running.pid) is None
