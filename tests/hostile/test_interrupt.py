"""Issue 20, class 8: what the README promises on interruption. Ctrl-C (SIGINT to the whole
process group, as a terminal sends it) exits 130 and SIGTERM (kill, a scheduler, a container
stop) 143, each with one line on stderr and no traceback, after every `finally` has run: no
partial output, no temporary file, a file the output would replace left byte for byte.

The commands run as a user runs them (.venv/bin/annotate, .venv/bin/train) on inputs large
enough to be interrupted while they work (annotate.clikit.run and NewsgoldGroup)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.kit import assert_ok, digests, invoke
from tests.test_disk_safety import export_file  # a Label Studio export of many tasks

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BIN = Path(sys.executable).parent
MESSAGES = {
    signal.SIGINT: "Interrupted: stopped; no partial output left",
    signal.SIGTERM: "Terminated: stopping and removing partial output",
}
ACTORS, PLACES = ["Soldiers", "Fighters", "Officials", "Police", "Rebels"], ["Kabul", "Kunduz", "Herat", "Mosul"]
FILLER = "the army said on Monday that heavy fighting continued near the market after the attack".split()


def write_gold(path: Path, documents: int, words: int = 40) -> Path:
    rng = random.Random(7)
    with path.open("w") as out:
        for i in range(documents):
            actor, place = rng.choice(ACTORS), rng.choice(PLACES)
            text = f"{actor} entered {place} " + " ".join(rng.choice(FILLER) for _ in range(words)) + f" report{i}."
            start = text.index(place)
            out.write(
                json.dumps(
                    {
                        "id": f"doc-{i}",
                        "text": text,
                        "story_id": f"story-{i}",
                        "spans": [
                            {"start": 0, "end": len(actor), "label": "ACTOR"},
                            {"start": start, "end": start + len(place), "label": "LOCATION"},
                        ],
                        "relations": [],
                        "annotated_labels": ["ACTOR", "LOCATION"],
                    }
                )
                + "\n"
            )
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    gold = write_gold(folder / "gold.jsonl", 4000)
    assert_ok(invoke(["annotate", "export", "--from", gold, "--out", folder / "dataset"]))
    return {
        "gold": gold,
        "big": write_gold(folder / "big.jsonl", 30000, words=60),
        "dataset": folder / "dataset",
        "ls": export_file(folder / "export.json", 12000, sentences=40),
    }


def working(folder: Path, spools: Path):
    """What shows that each command is busy writing: its temporary output or files."""
    return {
        "preannotate": lambda: any(folder.glob(".out.jsonl.*")),
        "fit": lambda: any(spools.glob("*.crfsuite")),  # the CRF is training
        "export": lambda: any(folder.glob(".ds*")),
        "export-workers": lambda: any(spools.iterdir()) and any(folder.glob(".ds*")),  # workers spooling
    }


COMMANDS = {
    "preannotate": lambda i, folder: [BIN / "annotate", "preannotate", i["gold"], "-o", folder / "out.jsonl"],
    "fit": lambda i, folder: [BIN / "train", "fit", i["dataset"], "--out", folder / "model"],
    "export": lambda i, folder: [BIN / "annotate", "export", "--from", i["big"], "--out", folder / "ds"],
    "export-workers": lambda i, folder: [
        BIN / "annotate",
        "export",
        "--from",
        i["ls"],
        "--out",
        folder / "ds",
        "--workers",
        "2",
    ],
}


def kept_file(folder: Path, command: str) -> None:
    """What the user had where the output goes: it must survive the interruption."""
    if command == "preannotate":
        (folder / "out.jsonl").write_text('{"id": "kept", "text": "a gold file the user kept"}\n')


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_interrupted_command_exits_128_plus_the_signal_with_one_line_and_leaves_nothing(
    tmp_path, inputs, command, signum
):
    folder, spools = tmp_path / "work", tmp_path / "tmp"
    folder.mkdir()
    spools.mkdir()
    kept_file(folder, command)
    before = digests(folder)
    process = subprocess.Popen(
        [str(word) for word in COMMANDS[command](inputs, folder)],
        cwd=folder,
        env={**os.environ, "TMPDIR": str(spools)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    busy = working(folder, spools)[command]
    deadline = time.monotonic() + 120
    try:
        while not busy():
            assert process.poll() is None, f"{command} ended before it could be interrupted: {process.communicate()}"
            assert time.monotonic() < deadline, f"{command} never started writing"
            time.sleep(0.02)
        time.sleep(0.2)  # well inside the work
        if signum == signal.SIGINT:
            os.killpg(process.pid, signum)  # a terminal's Ctrl-C reaches the whole process group
        else:
            process.send_signal(signum)  # kill PID
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 128 + signum, (process.returncode, stdout, stderr)
    assert "Traceback" not in stderr + stdout and "Aborted" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.strip()] == [MESSAGES[signum]], stderr
    assert digests(folder) == before, sorted(p.name for p in folder.iterdir())  # no partial output
    assert list(spools.iterdir()) == []  # no temporary file


@pytest.mark.parametrize(
    "argv, target",
    [
        ("annotate documents {docs}", "newsgold.annotate.api.load_documents"),
        ("train fit {folder} --out {folder}/model", "newsgold.train.api.fit"),
    ],
)
def test_ctrl_c_anywhere_in_a_command_is_exit_130_not_abort(tmp_path, monkeypatch, argv, target):
    """In process: a KeyboardInterrupt from the library becomes exit 130 and one line, not
    click's "Aborted!" and 1."""
    module, name = target.rsplit(".", 1)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(__import__(module, fromlist=[name]), name, interrupted)
    (tmp_path / "docs.txt").write_text("Soldiers entered Kabul.")
    result = invoke(argv.format(docs=tmp_path / "docs.txt", folder=tmp_path))
    assert result.exit_code == 130, result.output
    assert result.output.strip().splitlines() == [MESSAGES[signal.SIGINT]]


@pytest.mark.parametrize("cli", ["newsgold.annotate.cli", "newsgold.train.cli"])
def test_the_command_lines_load_their_library_inside_the_command(cli):
    """Before NewsgoldGroup runs, a Ctrl-C can only end Python's imports in a traceback: the
    command lines import their library lazily (clikit.lazy_module), so that window stays short."""
    code = f"import sys, {cli}; print(sorted(m for m in sys.modules if m.endswith('.api') or m == 'numpy'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == ("['newsgold.train.api']" if "train" in cli else "[]"), (
        done.stdout,
        done.stderr,
    )
