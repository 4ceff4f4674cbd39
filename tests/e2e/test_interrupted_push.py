"""A push interrupted by a server crash, then re-run, ends with every document exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.studio import server
from newsgold.annotate.studio.client import LabelStudio

pytestmark = pytest.mark.e2e
DOCUMENTS = 1500


def test_interrupted_push_then_rerun_is_complete_and_duplicate_free(tmp_path, monkeypatch):
    folder = tmp_path / "ls"
    port = server.free_port()
    running = server.start(folder, port=port)
    inputs = tmp_path / "docs.jsonl"
    inputs.write_text(
        "".join(
            json.dumps({"text": f"Report {i}: {i * 7 % 900 + 100} Afghan soldiers fled to Tajikistan, officials said."})
            + "\n"
            for i in range(DOCUMENTS)
        )
    )
    env = {**os.environ, server.DATA_DIR_ENV: str(folder)}
    env.pop("LABEL_STUDIO_URL", None)
    env.pop("LABEL_STUDIO_API_KEY", None)
    annotate = str(Path(sys.executable).parent / "annotate")
    push = [annotate, "push", str(inputs), "--project", "interrupted", "--batch-size", "50"]
    client = LabelStudio(running.url, server.credentials(folder)["token"])
    try:
        process = subprocess.Popen(push, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300
        present = 0
        while time.monotonic() < deadline and process.poll() is None:
            project = client.find_project("interrupted")
            present = len(client.task_ids_by_document(project)) if project else 0
            if present >= 200:
                break
            time.sleep(0.3)
        assert 0 < present < DOCUMENTS, "the push finished before the server could be killed"
        os.killpg(running.pid, signal.SIGKILL)  # a crash, not a clean stop
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 1
        assert "unreachable" in output and "Traceback" not in output

        server.start(folder, port=port)
        monkeypatch.setenv(server.DATA_DIR_ENV, str(folder))
        monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
        monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
        result = CliRunner().invoke(cli, push[1:])
        assert result.exit_code == 0, result.output
        project = client.find_project("interrupted")
        tasks = list(client.iter_tasks(project))
        ids = [t["data"]["newsgold_id"] for t in tasks]
        assert len(ids) == DOCUMENTS and len(set(ids)) == DOCUMENTS
    finally:
        server.stop(folder)
