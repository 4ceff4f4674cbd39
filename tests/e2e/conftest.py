"""A real Label Studio server for the end-to-end tests: a fresh data folder, a free port on
127.0.0.1, started once per test session (the first start runs migrations, ~40 s)."""

import shutil

import pytest

from newsgold.annotate import server
from newsgold.annotate.labelstudio import LabelStudio

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
