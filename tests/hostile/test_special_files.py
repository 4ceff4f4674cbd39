"""Inputs that are not regular files: a named pipe nobody writes to, or a device such as /dev/zero,
would make a reader wait or read forever (a hang). Every command that reads files refuses them
with one line before reading (`outputs.check_regular`: through the path expander of PATHS, the
click type `clikit.InputFile`, the output helper's input check, the schema loader and `score`).

Each command runs as a real process with a timeout, so a hang fails the test instead of stalling
the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TEXT = "Afghan soldiers fled to Tajikistan, officials said."


@pytest.fixture
def work(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g", "text": TEXT, "spans": [{"start": 0, "end": 15, "label": "ACTOR"}]}) + "\n")
    os.mkfifo(tmp_path / "pipe.txt")
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT)
    os.mkfifo(folder / "b.txt")  # a pipe inside a folder of articles
    return tmp_path


# (name, argv with {w} for the work folder and {s} for the special file)
COMMANDS = [
    ("documents", "annotate documents {s}"),
    ("documents-folder", "annotate documents {w}/news"),
    ("preannotate", "annotate preannotate {s} -o {w}/out.jsonl"),
    ("score-gold", "annotate score {s} {w}/gold.jsonl"),
    ("score-predicted", "annotate score {w}/gold.jsonl {s}"),
    ("export-from", "annotate export --from {s} --out {w}/ds"),
    ("export-config", "annotate export --from {w}/gold.jsonl --config {s} --out {w}/ds"),
    ("schema", "annotate schema --schema {s}"),
    ("re3d", "annotate re3d {s} -o {w}/out.jsonl"),
    ("push-predictions", "annotate push --predictions {s} --project demo-project"),
    ("fit-unlabelled", "train fit {w}/ds --out {w}/model --unlabelled {s}"),
]
SPECIAL = {"pipe": "{w}/pipe.txt", "device": "/dev/zero"}


@pytest.mark.parametrize("special", sorted(SPECIAL))
@pytest.mark.parametrize("name, argv", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_a_pipe_or_device_is_refused_not_waited_on(work, name, argv, special):
    if name == "fit-unlabelled":  # needs a dataset to get as far as reading --unlabelled
        subprocess.run(
            [BIN / "annotate", "export", "--from", work / "gold.jsonl", "--out", work / "ds", "--ratios", "1,0,0"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    special_path = SPECIAL[special].format(w=work)
    words = argv.format(w=work, s=special_path).split()
    before = sorted(p.name for p in work.iterdir())
    env = {**os.environ, "LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": "x"}
    done = subprocess.run(
        [BIN / words[0], *words[1:]], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, done.stderr
    if name == "re3d":  # a folder is expected: click says the path is a file
        assert "is a file" in errors[0] or "not a regular file" in errors[0], errors[0]
    else:
        assert "not a regular file" in errors[0], errors[0]
        assert ("b.txt" if name == "documents-folder" else Path(special_path).name) in errors[0], errors[0]
    assert sorted(p.name for p in work.iterdir()) == before, "left files behind"
