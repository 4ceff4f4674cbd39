"""Nothing lost on disk: `export --force` replaces only a folder newsgold wrote, and SIGTERM
during an export leaves no temporary output, spool or download behind."""

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
from newsgold.annotate.export.write import MARKER

WORDS = "Afghan soldiers fled across the border to Tajikistan on Monday, officials in Dushanbe said. "


def export_file(path: Path, count: int, sentences: int = 1) -> Path:
    """A Label Studio JSON export of `count` annotated tasks."""
    tasks = []
    for i in range(count):
        text = f"Report {i}. " + WORDS * sentences
        start = text.index("Afghan")
        tasks.append(
            {
                "id": i + 1,
                "data": {"text": text, "newsgold_id": f"d{i}", "story_id": f"s{i // 3}", "source": f"{i}.txt"},
                "annotations": [
                    {
                        "id": i + 1,
                        "completed_by": 1,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "updated_at": "2026-01-01T00:00:00Z",
                        "result": [
                            {
                                "id": f"r{i}",
                                "from_name": "label",
                                "to_name": "text",
                                "type": "labels",
                                "value": {
                                    "start": start,
                                    "end": start + 15,
                                    "text": "Afghan soldiers",
                                    "labels": ["ACTOR"],
                                },
                            }
                        ],
                    }
                ],
            }
        )
    path.write_text(json.dumps(tasks))
    return path


def export(source: Path, out: Path, *options: str):
    return CliRunner().invoke(cli, ["export", "--from", str(source), "--out", str(out), *options])


def test_force_replaces_a_folder_newsgold_wrote(tmp_path):
    source = export_file(tmp_path / "export.json", 3)
    out = tmp_path / "ds"
    assert export(source, out).exit_code == 0
    assert (out / MARKER).is_file()
    (out / "problems.jsonl").write_text("stale\n")
    result = export(source, out, "--force")
    assert result.exit_code == 0, result.output
    assert (out / "problems.jsonl").read_text() == ""


def test_force_replaces_an_export_of_an_older_newsgold_without_the_marker(tmp_path):
    source = export_file(tmp_path / "export.json", 3)
    out = tmp_path / "ds"
    assert export(source, out).exit_code == 0
    (out / MARKER).unlink()
    assert export(source, out, "--force").exit_code == 0
    assert (out / MARKER).is_file()


@pytest.mark.parametrize(
    "make, cause",
    [
        (
            lambda out: (out.mkdir(), (out / "notes.md").write_text("my notes")),
            "holds files newsgold did not write (notes.md)",
        ),
        (lambda out: (out.mkdir(), (out / "train").mkdir(), (out / "code.py").write_text("x")), "(code.py)"),
        # an empty folder may be used (tests/hostile/test_outputs.py); one holding only what an export
        # holds, without its marker or dataset_dict.json, is not an export
        (lambda out: (out.mkdir(), (out / "train").mkdir()), "not a dataset folder newsgold exported"),
    ],
    ids=["notes", "code-beside-a-split", "no-marker"],
)
def test_force_refuses_anything_newsgold_did_not_write(tmp_path, make, cause):
    source = export_file(tmp_path / "export.json", 3)
    out = tmp_path / "ds"
    make(out)
    before = sorted((p.relative_to(tmp_path), p.is_dir() or p.read_bytes()) for p in tmp_path.rglob("*"))
    result = export(source, out, "--force")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and cause in result.output, result.output
    assert "--force replaces only a folder newsgold exported" in result.output
    assert sorted((p.relative_to(tmp_path), p.is_dir() or p.read_bytes()) for p in tmp_path.rglob("*")) == before


def test_force_through_the_api_refuses_a_file(tmp_path):
    from newsgold.annotate import export_dataset
    from newsgold.annotate.export import ExportError

    source = export_file(tmp_path / "export.json", 3)
    out = tmp_path / "ds"
    out.write_text("a file")
    with pytest.raises(ExportError, match="is not a folder; --force replaces only"):
        export_dataset(out, from_file=source, force=True)
    assert out.read_text() == "a file"


def test_force_does_not_follow_a_symbolic_link(tmp_path):
    source = export_file(tmp_path / "export.json", 3)
    real = tmp_path / "real"
    assert export(source, real).exit_code == 0
    link = tmp_path / "ds"
    link.symlink_to(real)
    result = export(source, link, "--force")
    assert result.exit_code == 1 and "is a symbolic link" in result.output
    assert link.is_symlink() and (real / MARKER).is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the export's workers are forked on Linux only")
def test_sigterm_during_an_export_leaves_nothing_behind(tmp_path):
    source = export_file(tmp_path / "export.json", 12000, sentences=40)
    spools = tmp_path / "tmp"
    spools.mkdir()
    out = tmp_path / "ds"
    annotate = Path(sys.executable).parent / "annotate"
    process = subprocess.Popen(
        [str(annotate), "export", "--from", str(source), "--out", str(out), "--workers", "2"],
        env={**os.environ, "TMPDIR": str(spools)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (list(spools.iterdir()) and list(tmp_path.glob(".ds.tmp-*"))):  # workers spooling, output begun
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Terminated" in stderr and "Traceback" not in stderr, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json", "tmp"], stderr
    assert list(spools.iterdir()) == [], stderr


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_written_while_the_export_ran_is_not_replaced(tmp_path, monkeypatch, force):
    """Two exports to one --out, or a person saving notes there meanwhile: the check before the
    rename is made again, so the export that finishes second refuses instead of replacing."""
    import newsgold.annotate.export.write as write

    source = export_file(tmp_path / "export.json", 3)
    out = tmp_path / "ds"
    card = write.dataset_card

    def meanwhile(*args):
        out.mkdir()
        (out / "notes.md").write_text("written while the export ran")
        return card(*args)

    monkeypatch.setattr(write, "dataset_card", meanwhile)
    result = export(source, out, *(["--force"] if force else []))
    assert result.exit_code == 1
    assert ("holds files newsgold did not write (notes.md)" if force else "already exists") in result.output
    assert [p.name for p in out.iterdir()] == ["notes.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "export.json"]  # no temporary left
